package org.jkvm.softcpu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.memory.MmapGuestMemory;

/** A software-CPU VM for tests: RAM, one vCPU, port writes recorded, port 0x3f8 collected as text. */
final class TestVm implements AutoCloseable {
    final MmapGuestMemory memory;
    final SoftHypervisor hv;
    final HvVm vm;
    /** The interrupt controllers, or null. */
    final org.jkvm.hypervisor.HvIrqChip chip;
    final HvVcpu vcpu;
    final Ops ops = new Ops();

    /** Records port I/O; reads of port 0x3fd (LSR) say "ready", other reads are all ones. */
    static final class Ops implements VmOps {
        org.jkvm.hypervisor.HvVcpu vcpu;
        private boolean dlab;
        volatile boolean stop;
        /** Called on every port write except COM1 with (port, number of writes to that port so far). */
        java.util.function.BiConsumer<Integer, Integer> onOut;
        /** Called after every complete serial line. */
        Runnable onSerialLine;
        final List<long[]> outs = new ArrayList<>();
        final StringBuilder serial = new StringBuilder();
        final List<long[]> mmio = new ArrayList<>();

        /** Called on port reads other than COM1's LSR: the value to return, or -1 for all ones. */
        java.util.function.IntToLongFunction onIn;

        @Override
        public void pioRead(int port, byte[] data) {
            if (port == 0x3fd) {
                data[0] = 0x60;
            } else if (onIn != null) {
                long v = onIn.applyAsLong(port);
                if (v >= 0) {
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (v >>> (8 * i));
                    }
                }
            }
        }

        @Override
        public void pioWrite(int port, byte[] data) {
            long v = 0;
            for (int i = data.length - 1; i >= 0; i--) {
                v = v << 8 | (data[i] & 0xff);
            }
            if (port == 0x3fb) {
                dlab = (v & 0x80) != 0;
            }
            if (port == 0x3f8) {
                if (!dlab) {
                    serial.append((char) (v & 0xff));
                    if (v == '\n' && onSerialLine != null) {
                        onSerialLine.run();
                    }
                }
            } else {
                if (port == 0xf4 && vcpu != null) {
                    vcpu.kick();
                }
                outs.add(new long[] {port, v, data.length});
                if (onOut != null) {
                    onOut.accept(port, valuesAt(port).size());
                }
            }
        }

        @Override
        public void mmioRead(long gpa, byte[] data) {
        }

        @Override
        public void mmioWrite(long gpa, byte[] data) {
            long v = 0;
            for (int i = data.length - 1; i >= 0; i--) {
                v = v << 8 | (data[i] & 0xff);
            }
            mmio.add(new long[] {gpa, v, data.length});
        }

        /** The values written to {@code port}, in order. */
        List<Long> valuesAt(int port) {
            List<Long> l = new ArrayList<>();
            for (long[] o : outs) {
                if (o[0] == port) {
                    l.add(o[1]);
                }
            }
            return l;
        }
    }

    TestVm(long ramBytes) {
        this(ramBytes, false);
    }

    /** With {@code irqchip}, the VM has the PC's interrupt controllers and timers (created before the vCPU). */
    TestVm(long ramBytes, boolean irqchip) {
        this(ramBytes, irqchip, null);
    }

    /**
     * A VM whose guest time runs on {@code hostNanos} (a host clock the test moves: a thread held up, a long pause),
     * or on the host's when null.
     */
    TestVm(long ramBytes, boolean irqchip, java.util.function.LongSupplier hostNanos) {
        memory = MmapGuestMemory.allocate(ramBytes);
        hv = (SoftHypervisor) new SoftCpuProvider().open(HypervisorProvider.Options.defaults());
        vm = hostNanos == null ? hv.createVm(memory)
                : new SoftVm(memory, hv.defaultTscKhz(), new org.jkvm.hypervisor.GuestClock(hostNanos));
        chip = irqchip ? vm.createIrqChip() : null;
        vcpu = vm.createVcpu(0, ops);
        ops.vcpu = vcpu;
        vcpu.setCpuid(hv.supportedCpuid());
    }

    void load(long gpa, byte[] code) {
        memory.write(gpa, ByteBuffer.wrap(code));
    }

    /** Real mode, CS = DS = ES = SS = 0, IP = {@code ip}, SP = 0x7000. */
    void realMode(long ip) {
        SystemRegisters s = SystemRegisters.reset().withSegments(SegmentRegister.realMode(0, true),
                SegmentRegister.realMode(0, false)).withTables(DescriptorTable.reset(), new DescriptorTable(0, 0x3ff));
        vcpu.setSystemRegisters(s);
        vcpu.setRegisters(Registers.atRip(ip).withRflags(2));
        Registers r = vcpu.registers();
        long[] g = r.gprs();
        g[4] = 0x7000;
        vcpu.setRegisters(Registers.of(g, ip, 2));
    }

    /**
     * Where {@link #longMode} puts its GDT: null, 0x08 64-bit code, 0x10 data, 0x18 32-bit code, 0x20 16-bit code,
     * 0x28 16-bit data, 0x30 user 64-bit code, 0x38 user data (DPL 3); 0x40-0x7f free for a TSS.
     */
    static final long GDT = 0x60000;

    /**
     * 64-bit long mode with an identity map of the first 1 GiB (2 MiB pages; tables at 0x70000), flat
     * segments, RSP = {@code rsp}.
     */
    void longMode(long rip, long rsp) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0x71000 | 3);
        memory.write(0x70000, b.duplicate());
        b = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0x72000 | 3);
        memory.write(0x71000, b.duplicate());
        b = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i++) {
            b.putLong(i * 8, ((long) i << 21) | 0x83);
        }
        memory.write(0x72000, b.duplicate());
        b = ByteBuffer.allocate(0x80).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long[] gdt = {0, 0x00AF9A000000FFFFL, 0x00CF92000000FFFFL, 0x00CF9A000000FFFFL, 0x00009A000000FFFFL,
            0x000092000000FFFFL, 0x00AFFA000000FFFFL, 0x00CFF2000000FFFFL};
        for (int i = 0; i < gdt.length; i++) {
            b.putLong(i * 8, gdt[i]);
        }
        memory.write(GDT, b.duplicate());
        SystemRegisters s = SystemRegisters.reset().withSegments(SegmentRegister.code64(8),
                SegmentRegister.flat32(0x10, false))
                .withTables(new DescriptorTable(GDT, 0x7f), new DescriptorTable(0, 0))
                .withControl(SystemRegisters.CR0_PE | SystemRegisters.CR0_PG | SystemRegisters.CR0_ET, 0x70000,
                        SystemRegisters.CR4_PAE, SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA);
        vcpu.setSystemRegisters(s);
        long[] g = new long[16];
        g[4] = rsp;
        vcpu.setRegisters(Registers.of(g, rip, 2));
    }

    /**
     * Runs until an exit other than CONTINUE. A guest that never stops (a broken test guest) is kicked after two
     * minutes so the test fails instead of hanging the build.
     */
    VcpuExit run() {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(120_000);
                vcpu.kick();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            VcpuExit e;
            do {
                e = vcpu.run();
            } while (e == VcpuExit.CONTINUE);
            return e;
        } finally {
            watchdog.interrupt();
        }
    }

    long rip() {
        return vcpu.registers().rip();
    }

    @Override
    public void close() {
        vcpu.close();
        vm.close();
        hv.close();
        memory.close();
    }
}
