package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM adapter behind the seam on the real KVM device: exits through VmOps, interrupts, state, TSC. */
class KvmAdapterTest {
    /**
     * Real mode at 0x1000: port and MMIO accesses, then HLT.
     * <pre>
     *   ba f8 03            mov dx, 0x3f8
     *   b0 4a ee            mov al, 0x4a; out dx, al      ; pioWrite(0x3f8, 4a)
     *   ec a2 00 30         in al, dx; mov [0x3000], al   ; pioRead(0x3f8)
     *   b8 ff ff 8e c0      mov ax, 0xffff; mov es, ax    ; es base 0xffff0
     *   26 c6 06 10 00 5a   mov byte es:[0x10], 0x5a      ; mmioWrite(0x100000, 5a)
     *   26 a0 20 00         mov al, es:[0x20]             ; mmioRead(0x100010)
     *   a2 01 30 f4         mov [0x3001], al; hlt
     * </pre>
     */
    static final byte[] IO_CODE = hex("baf803b04aeeeca20030b8ffff8ec026c60610005a26a02000a20130f4");
    /** Real mode at 0x1000: {@code sti; jmp $}; vector 0x40's handler at 0x2000: {@code mov al, 0x40; out 0x99, al;
     * hlt}. */
    static final byte[] SPIN = hex("fbebfe");
    static final byte[] HANDLER = hex("b040e699f4");
    static final long RAM = 1 << 20;

    @TempDir
    Path dir;

    /** Records every access; reads answer 0x77 (port) and 0x66 (MMIO). */
    static final class Recorder implements VmOps {
        final List<String> log = new ArrayList<>();

        @Override
        public void pioRead(int port, byte[] data) {
            log.add("in 0x" + Integer.toHexString(port) + "/" + data.length);
            data[0] = 0x77;
        }

        @Override
        public void pioWrite(int port, byte[] data) {
            log.add("out 0x" + Integer.toHexString(port) + "=0x" + Integer.toHexString(data[0] & 0xff));
        }

        @Override
        public void mmioRead(long gpa, byte[] data) {
            log.add("read 0x" + Long.toHexString(gpa) + "/" + data.length);
            data[0] = 0x66;
        }

        @Override
        public void mmioWrite(long gpa, byte[] data) {
            log.add("write 0x" + Long.toHexString(gpa) + "=0x" + Integer.toHexString(data[0] & 0xff));
        }
    }

    private static Hypervisor open() {
        Require.kvm();
        return HypervisorProvider.find(Accelerator.KVM, KvmAdapterTest.class.getClassLoader())
                .open(new HypervisorProvider.Options(Require.kvmDevice()));
    }

    /** Real mode with a flat CS at {@code rip}. */
    private static void realMode(HvVcpu vcpu, long rip) {
        SystemRegisters s = vcpu.systemRegisters();
        vcpu.setSystemRegisters(s.withSegments(SegmentRegister.realMode(0, true), s.ds()));
        vcpu.setRegisters(Registers.atRip(rip));
    }

    /** Runs on a new thread until an exit other than CONTINUE/INTERRUPTED; returns it. */
    private static VcpuExit runToStop(HvVcpu vcpu) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                vcpu.bindToCurrentThread();
                VcpuExit e;
                do {
                    e = vcpu.run();
                } while (e == VcpuExit.CONTINUE || e == VcpuExit.INTERRUPTED);
                out.set(e);
            } catch (RuntimeException e) {
                out.set(e);
            }
        });
        t.start();
        t.join(30_000);
        assertInstanceOf(VcpuExit.class, out.get(), String.valueOf(out.get()));
        return (VcpuExit) out.get();
    }

    @Test
    void theProviderIsFoundAndAMissingDeviceIsOneSentence() {
        HypervisorProvider p = HypervisorProvider.find(Accelerator.KVM, getClass().getClassLoader());
        assertInstanceOf(KvmProvider.class, p);
        Path missing = dir.resolve("no-kvm");
        HypervisorUnavailableException e = assertThrows(HypervisorUnavailableException.class,
                () -> p.open(new HypervisorProvider.Options(missing)));
        assertEquals("KVM is not available: " + missing + " does not exist; enable virtualization or load the kvm "
                + "module", e.getMessage());
        p.prewarm();
    }

    @Test
    void portAndMmioGoThroughVmOpsAndHltStops() throws Exception {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem)) {
            assertEquals("KVM (" + Require.kvmDevice() + ", API 12)", hv.description());
            assertTrue(hv.defaultTscKhz() > 0);
            Recorder ops = new Recorder();
            try (HvVcpu vcpu = vm.createVcpu(0, ops)) {
                assertEquals(hv.defaultTscKhz(), vcpu.tscKhz());
                mem.write(0x1000, ByteBuffer.wrap(IO_CODE));
                realMode(vcpu, 0x1000);
                long[] bitmap = new long[vm.dirtyLogWords(mem.regions().get(0))];
                vm.fetchDirtyLog(mem.regions().get(0), bitmap); // forget the loader's writes
                assertEquals(VcpuExit.HLT, runToStop(vcpu));
                assertEquals("the guest halted", vcpu.exitDetail());
                assertEquals(List.of("out 0x3f8=0x4a", "in 0x3f8/1", "write 0x100000=0x5a", "read 0x100010/1"),
                        ops.log);
                assertEquals(0x77, mem.readByte(0x3000));
                assertEquals(0x66, mem.readByte(0x3001));
                assertEquals(0x1000 + IO_CODE.length, vcpu.registers().rip());
                assertEquals(ActivityState.HALTED, vcpu.saveState().activity());
                vm.fetchDirtyLog(mem.regions().get(0), bitmap);
                assertEquals(1L << 3, bitmap[0], "the guest dirtied page 3 only");
            }
        }
    }

    @Test
    void anInjectedInterruptIsDeliveredThroughTheIvtAndStateMovesToAnotherVm() throws Exception {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM);
                GuestMemory mem2 = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem);
                HvVm vm2 = hv.createVm(mem2)) {
            Recorder ops = new Recorder();
            CpuState saved;
            try (HvVcpu vcpu = vm.createVcpu(0, ops)) {
                mem.write(0x1000, ByteBuffer.wrap(SPIN));
                mem.write(0x2000, ByteBuffer.wrap(HANDLER));
                mem.writeIntLE(0x40 * 4, 0x0000_2000); // IVT: vector 0x40 -> 0000:2000
                realMode(vcpu, 0x1000);
                assertThrows(HypervisorException.class, () -> vcpu.injectInterrupt(14), "exception vectors");
                assertTrue(vcpu.injectInterrupt(0x40));
                assertFalse(vcpu.injectInterrupt(0x41), "one interrupt can be pending");
                assertEquals(VcpuExit.HLT, runToStop(vcpu));
                assertEquals(List.of("out 0x99=0x40"), ops.log, "the handler ran");
                assertTrue(vcpu.injectInterrupt(0x41), "the first one was accepted");
                saved = vcpu.saveState();
                assertEquals(0x41, saved.events().pendingInterrupt());
                assertEquals(ActivityState.HALTED, saved.activity());
                assertEquals(0, saved.registers().rflags() & (1 << 9), "IF clear in the handler");
                assertTrue(saved.tsc() > 0);
            }
            mem2.write(0x1000, ByteBuffer.wrap(SPIN));
            try (HvVcpu copy = vm2.createVcpu(0, ops)) {
                copy.restoreState(saved);
                CpuState again = copy.saveState();
                assertEquals(saved.registers(), again.registers());
                assertEquals(saved.system(), again.system());
                assertEquals(saved.fpu(), again.fpu());
                assertEquals(saved.xcr0(), again.xcr0());
                assertEquals(saved.events(), again.events());
                assertEquals(saved.activity(), again.activity());
                assertEquals(saved.debug(), again.debug());
                assertEquals(withoutTsc(saved.msrs()), withoutTsc(again.msrs()));
                assertTrue(again.tsc() >= saved.tsc(), "the TSC does not go back");
                assertEquals(VcpuExit.HLT, copy.run(), "halted with IF clear: nothing wakes it");
            }
        }
    }

    private static List<Msr> withoutTsc(List<Msr> msrs) {
        return msrs.stream().filter(m -> m.index() != Msr.IA32_TSC).toList();
    }

    @Test
    void aTscFrequencyKvmCannotRunIsOneSentence() {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem);
                HvVcpu vcpu = vm.createVcpu(0, new Recorder())) {
            int host = vcpu.tscKhz();
            vcpu.setTscKhz(host);
            assertEquals(host, vcpu.tscKhz());
            int half = host / 2;
            HypervisorException failure = null;
            try {
                vcpu.setTscKhz(half);
            } catch (HypervisorException e) {
                failure = e;
            }
            if (failure == null) {
                assertEquals(half, vcpu.tscKhz(), "a host with TSC scaling runs the guest at the new rate");
            } else {
                assertTrue(failure.getMessage().startsWith("KVM cannot run the guest TSC at " + half + " kHz on this "
                        + "host, whose TSC runs at " + host + " kHz: it "), failure.getMessage());
                assertTrue(failure.getMessage().endsWith("; use " + host + " kHz or a host with TSC scaling"),
                        failure.getMessage());
                assertEquals(host, vcpu.tscKhz());
            }
        }
    }

    @Test
    void aStateKvmCannotHoldIsRefusedWithASentence() {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem);
                HvVcpu vcpu = vm.createVcpu(0, new Recorder())) {
            CpuState s = vcpu.saveState();
            CpuState shut = new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), s.msrs(), s.events(),
                    ActivityState.SHUTDOWN, s.debug());
            HypervisorException e = assertThrows(HypervisorException.class, () -> vcpu.restoreState(shut));
            assertEquals("cannot restore a vCPU in activity state SHUTDOWN on KVM without an in-kernel interrupt "
                    + "controller; restore a state saved while it ran", e.getMessage());
            assertNull(s.events().exception());
        }
    }

    static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
