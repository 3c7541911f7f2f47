package org.jkvm.softcpu.oracle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.memory.MmapGuestMemory;

/**
 * Runs oracle cases on a backend through the public hypervisor seam only: one VM with {@link GuestSetup}'s 64-bit
 * guest, one vCPU, and per case: the code bytes into the code area, the patches into the data area, the registers,
 * {@code run()} until HLT, then the registers, the exception frame (when the HLT is an exception stub) and the
 * changed data bytes, restored afterwards. Use from one thread (the one that created it); not thread-safe.
 */
final class BackendRunner implements AutoCloseable {
    private final MmapGuestMemory mem;
    private final HvVm vm;
    private final HvVcpu vcpu;
    private final ByteBuffer data;
    private final ByteBuffer code;
    /** The code area as the current case starts: HLT everywhere but the case's bytes. */
    private final byte[] codeExpected = new byte[Layout.CODE_SIZE];
    private final ByteBuffer ist;
    private final byte[] base;
    private final byte[] initial;
    private final Watchdog watchdog;
    private final CpuState start;

    BackendRunner(Hypervisor hv, byte[] baseImage) {
        mem = MmapGuestMemory.allocate(GuestSetup.RAM_BYTES);
        HvVm v = null;
        HvVcpu c = null;
        try {
            v = hv.createVm(mem);
            c = v.createVcpu(0, new NoDevices());
            c.bindToCurrentThread();
            c.setCpuid(hv.supportedCpuid());
            GuestSetup.writeTables(mem);
            c.setSystemRegisters(GuestSetup.systemRegisters(c.systemRegisters()));
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            }
            if (v != null) {
                v.close();
            }
            mem.close();
            throw e;
        }
        vm = v;
        vcpu = c;
        MemoryRegion ram = mem.regions().get(0);
        data = ram.view(Layout.DATA_VA, Layout.DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        code = ram.view(Layout.CODE_VA, Layout.CODE_SIZE);
        Arrays.fill(codeExpected, Layout.HLT);
        ist = ram.view(GuestSetup.sysPhys(GuestSetup.IST_TOP - 64), 64).order(ByteOrder.LITTLE_ENDIAN);
        base = baseImage.clone();
        initial = baseImage.clone();
        data.put(0, base);
        start = vcpu.saveState();
        watchdog = new Watchdog(vcpu);
    }

    /** Runs one case and restores the code and data areas. */
    OracleResult run(OracleCase c) {
        for (OracleCase.Patch p : c.patches()) {
            data.put(p.offset(), p.bytes());
            System.arraycopy(p.bytes(), 0, initial, p.offset(), p.bytes().length);
        }
        mem.write(c.startRip(), ByteBuffer.wrap(c.code()));
        System.arraycopy(c.code(), 0, codeExpected, Layout.INSN_OFFSET, c.code().length);
        try {
            // The previous case ended in HLT, which leaves the vCPU halted; only a state restore makes it active
            // again through the seam (and it also resets CR2 and the system registers the case may have changed).
            vcpu.restoreState(new CpuState(Registers.of(c.gprs(), c.startRip(), c.rflags()), start.system(),
                    fpuIn(c), start.xcr0(), start.msrs(), start.events(), ActivityState.ACTIVE, start.debug()));
            OracleResult r = runToHlt(c);
            if (c.fpu() == null) {
                return r;
            }
            byte[] out = java.util.Arrays.copyOf(vcpu.saveState().fpu().bytes(), FpuCase.BYTES);
            return new OracleResult(r.vector(), r.endIndex(), r.errorCode(), r.cr2(), r.rip(), r.rflags(), r.gprs(),
                    r.changedOffsets(), r.changedValues(), r.detail(), out);
        } finally {
            byte[] hlt = new byte[c.code().length];
            Arrays.fill(hlt, Layout.HLT);
            mem.write(c.startRip(), ByteBuffer.wrap(hlt));
            System.arraycopy(hlt, 0, codeExpected, Layout.INSN_OFFSET, hlt.length);
        }
    }

    /** The XSAVE area a case starts from: its FXSAVE image as the legacy region, x87 and SSE marked in use. */
    private XsaveArea fpuIn(OracleCase c) {
        if (c.fpu() == null) {
            return start.fpu();
        }
        byte[] b = start.fpu().bytes();
        System.arraycopy(c.fpu().image(), 0, b, 0, FpuCase.BYTES);
        b[512] = 3;
        return new XsaveArea(b);
    }

    private OracleResult runToHlt(OracleCase c) {
        watchdog.start();
        VcpuExit exit;
        int spins = 0;
        try {
            do {
                exit = vcpu.run();
                if (exit == VcpuExit.INTERRUPTED && !watchdog.fired()) {
                    exit = VcpuExit.CONTINUE;
                }
            } while (exit == VcpuExit.CONTINUE && ++spins < 1000);
        } finally {
            watchdog.stop();
        }
        Registers regs = vcpu.registers();
        int[][] changes = changes(c);
        if (exit != VcpuExit.HLT) {
            String why = exit == VcpuExit.INTERRUPTED ? "the case ran for seconds (a hang; kicked)"
                    : exit == VcpuExit.CONTINUE ? "run() kept returning CONTINUE (I/O from a case?)"
                    : "run() ended with " + exit + ": " + vcpu.exitDetail();
            return noResult(regs, changes, why);
        }
        long hltAt = regs.rip() - 1;
        long[] gprs = regs.gprs();
        for (int i = 0; i < c.ends().length; i++) {
            if (hltAt == Layout.CODE_VA + c.ends()[i]) {
                return new OracleResult(-1, i, 0, 0, hltAt, regs.rflags(), gprs, changes[0], bytes(changes[1]), "");
            }
        }
        long stub = hltAt - GuestSetup.STUBS_VA;
        if (stub >= 0 && stub < 16 * GuestSetup.VECTORS && stub % 16 == 0) {
            return exception((int) stub / 16, regs, changes);
        }
        if (hltAt >= Layout.CODE_VA && hltAt < Layout.CODE_VA + Layout.CODE_SIZE) {
            // Code went somewhere no end is: the host executes the HLT filling the code area at CPL 3, a #GP(0).
            return new OracleResult(13, -1, 0, 0, hltAt, regs.rflags(), gprs, changes[0], bytes(changes[1]), "");
        }
        return noResult(regs, changes, "halted at 0x" + Long.toHexString(hltAt) + ", outside the code area");
    }

    /** Reads the frame the exception pushed on the IST stack: [error code,] RIP, CS, RFLAGS, RSP, SS. */
    private OracleResult exception(int vector, Registers regs, int[][] changes) {
        boolean withError = GuestSetup.hasErrorCode(vector);
        long expectedRsp = GuestSetup.IST_TOP - (withError ? 48 : 40);
        if (regs.rsp() != expectedRsp) {
            return noResult(regs, changes, "exception " + vector + " left RSP at 0x" + Long.toHexString(regs.rsp())
                    + ", not at the IST1 frame 0x" + Long.toHexString(expectedRsp));
        }
        int at = 64 - (withError ? 48 : 40);
        long err = withError ? ist.getLong(at) : 0;
        int frame = withError ? at + 8 : at;
        long rip = ist.getLong(frame);
        long rflags = ist.getLong(frame + 16);
        long[] gprs = regs.gprs();
        gprs[Operand.RSP] = ist.getLong(frame + 24);
        long cr2 = vector == 14 ? vcpu.systemRegisters().cr2() : 0;
        return new OracleResult(vector, -1, err, cr2, rip, rflags, gprs, changes[0], bytes(changes[1]), "");
    }

    private static OracleResult noResult(Registers regs, int[][] changes, String why) {
        return new OracleResult(OracleResult.NO_RESULT, -1, 0, 0, regs.rip(), regs.rflags(), regs.gprs(),
                changes[0], bytes(changes[1]), why);
    }

    /**
     * The bytes the case changed: data bytes against its initial image (offsets from 0, restored to the base
     * image) and code bytes against the code area as the case started (offsets from {@link Layout#DATA_SIZE}; the
     * host reports them the same way).
     */
    private int[][] changes(OracleCase c) {
        int[][] list = {new int[64], new int[64], {0}};
        diff(data, initial, base, Layout.DATA_SIZE, 0, list);
        // Patched bytes the case did not change still differ from the base image.
        for (OracleCase.Patch p : c.patches()) {
            System.arraycopy(base, p.offset(), initial, p.offset(), p.bytes().length);
            data.put(p.offset(), base, p.offset(), p.bytes().length);
        }
        diff(code, codeExpected, codeExpected, Layout.CODE_SIZE, Layout.DATA_SIZE, list);
        int n = list[2][0];
        return new int[][] {Arrays.copyOf(list[0], n), Arrays.copyOf(list[1], n)};
    }

    /**
     * Appends to {@code list} (offsets, values, {count}) the bytes of {@code area} that differ from
     * {@code expected}, at offset + {@code bias}, and sets them (in the area and in {@code expected}) to
     * {@code restore}'s.
     */
    private static void diff(ByteBuffer area, byte[] expected, byte[] restore, int size, int bias, int[][] list) {
        ByteBuffer exp = ByteBuffer.wrap(expected);
        int from = 0;
        while (from < size) {
            int m = area.slice(from, size - from).mismatch(exp.slice(from, size - from));
            if (m < 0) {
                return;
            }
            int off = from + m;
            int n = list[2][0];
            if (n == list[0].length) {
                list[0] = Arrays.copyOf(list[0], n * 2);
                list[1] = Arrays.copyOf(list[1], n * 2);
            }
            list[0][n] = off + bias;
            list[1][n] = area.get(off);
            list[2][0] = n + 1;
            area.put(off, restore[off]);
            expected[off] = restore[off];
            from = off + 1;
        }
    }

    private static byte[] bytes(int[] values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Override
    public void close() {
        watchdog.close();
        vcpu.close();
        vm.close();
        mem.close();
    }

    /** A case has no devices: port I/O reads all ones, MMIO too (it cannot happen with the page tables above). */
    private static final class NoDevices implements VmOps {
        @Override
        public void pioRead(int port, byte[] d) {
            Arrays.fill(d, (byte) -1);
        }

        @Override
        public void pioWrite(int port, byte[] d) {
        }

        @Override
        public void mmioRead(long gpa, byte[] d) {
            Arrays.fill(d, (byte) -1);
        }

        @Override
        public void mmioWrite(long gpa, byte[] d) {
        }
    }
}
