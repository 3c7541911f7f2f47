package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.jkvm.engine.vcpu.VcpuState;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmRun;
import org.jkvm.kvm.LibC;
import org.jkvm.kvm.Regs;
import org.jkvm.kvm.Segment;
import org.jkvm.kvm.Sregs;
import org.jkvm.kvm.VcpuFd;
import org.jkvm.kvm.VmFd;
import org.jkvm.testkit.Require;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.junit.jupiter.api.Test;

/**
 * The seed's "migration does not work while CPU real-mode/protected mode are still changing": a guest that switches
 * between real mode and 32-bit protected mode all the time (and checks itself every lap) is stopped at random
 * instructions and its vCPU moved, through the migration's vCPU record (encoded and decoded), into a new VM with a
 * copy of its RAM, again and again; it goes on without an error, including from the states between setting
 * CR0.PE and reloading CS, where the hidden segment state is all that says which mode the guest is in.
 */
class ModeSwitchMigrationTest {
    /** {@code modeswitch.S} (next to this test's resources), assembled with {@code as --32}, loaded at 0x1000. */
    static final String CODE = "fa31c08ed88ed0bc0040660f0116981066ff0600500f20c00c010f22c066ea251000000800"
            + "66b810008ed88ed0ff0504500000ea3a1000001800b820008ed88ed00f20c024fe0f22c0ea4e10000031c08ed88ed066a1"
            + "0050663b0604507508a8ff75ade698eba9e699f4ebfb8db400000000000000000000ffff0000009acf00ffff0000009"
            + "2cf00ffff0000009a0000ffff000000920000270070100000";
    static final long RAM = 1 << 20;
    static final int MOVES = 120;
    static final int PORT_LAPS = 0x98;
    static final String PE_SET_CS_REAL = "PE set, CS still real";
    static final String PE_CLEAR_CS_PROTECTED = "PE clear, CS still protected";

    /** One VM with 1 MiB of RAM at gpa 0 and one vCPU, nothing else. */
    static final class RawVm implements AutoCloseable {
        final VmFd vm;
        final long hva;
        final ByteBuffer ram;
        final VcpuFd vcpu;

        RawVm(Kvm kvm) {
            vm = kvm.createVm();
            hva = LibC.mmap(0, RAM, LibC.PROT_READ | LibC.PROT_WRITE, 0x01 | 0x20, -1, 0);
            ram = new Pointer(hva).getByteBuffer(0, RAM).order(ByteOrder.LITTLE_ENDIAN);
            vm.setTssAddr(0xfffbd000L);
            vm.setUserMemoryRegion(0, 0, 0, RAM, hva);
            vcpu = vm.createVcpu(0);
        }

        int laps() {
            return ram.getInt(0x5000);
        }

        @Override
        public void close() {
            vcpu.close();
            vm.close();
            LibC.munmap(hva, RAM);
        }
    }

    @Test
    void aGuestSwitchingModesMovesToAnotherVmAtAnyInstruction() throws Exception {
        Require.kvm();
        try (Kvm kvm = Kvm.open()) {
            int[] msrs = kvm.msrIndexList();
            RawVm vm = new RawVm(kvm);
            try {
                vm.ram.put(0x1000, hex(CODE));
                run(vm, v -> realMode(v, 0x1000), 1000);
                Map<String, Integer> seen = new TreeMap<>();
                Random random = new Random(3);
                int move = 0;
                // At least MOVES moves, and on until both in-between states were caught (each is about one stop in
                // twelve, so a few dozen moves suffice; the cap only bounds a broken kick).
                while (move < MOVES || (!seen.containsKey(PE_SET_CS_REAL) || !seen.containsKey(PE_CLEAR_CS_PROTECTED))
                        && move < 2000) {
                    run(vm, v -> { }, 200 + random.nextInt(2000));
                    VcpuState saved = VcpuState.save(vm.vcpu, msrs); // stopped: nothing runs the vCPU now
                    seen.merge(mode(saved.sregs()), 1, Integer::sum);
                    StateWriter w = new StateWriter();
                    saved.encode(w);
                    VcpuState copy = VcpuState.decode(new StateReader(w.toByteArray(), "vcpu"));
                    RawVm next = new RawVm(kvm);
                    next.ram.put(0, vm.ram, 0, (int) RAM);
                    int lapsBefore = vm.laps();
                    vm.close();
                    vm = next;
                    run(vm, copy::restore, 0);
                    assertTrue(vm.laps() >= lapsBefore, "laps went back after move " + move);
                    move++;
                }
                int laps = vm.laps();
                run(vm, v -> { }, 50_000);
                assertTrue(vm.laps() > laps + 100, "the guest goes on: " + laps + " -> " + vm.laps());
                int behind = vm.ram.getInt(0x5000) - vm.ram.getInt(0x5004); // stopped within a lap: 0 or 1
                assertTrue(behind == 0 || behind == 1, "the protected-mode counter is " + behind + " laps behind");
                for (String m : new String[] {"real", "protected 32-bit", "protected 16-bit", PE_SET_CS_REAL,
                        PE_CLEAR_CS_PROTECTED}) {
                    assertTrue(seen.containsKey(m), "moved from every state; not from '" + m + "': " + seen);
                }
            } finally {
                vm.close();
            }
        }
    }

    /** Where the guest is: CR0.PE and the CS selector (0 in real mode, 0x08 / 0x18 in protected mode). */
    static String mode(Sregs s) {
        boolean pe = (s.cr0() & 1) != 0;
        int cs = s.cs().selector();
        if (pe) {
            return cs == 0x08 ? "protected 32-bit" : cs == 0x18 ? "protected 16-bit" : PE_SET_CS_REAL;
        }
        return cs == 0 ? "real" : PE_CLEAR_CS_PROTECTED;
    }

    /**
     * On a new thread bound to the vCPU: {@code before}, then KVM_RUN (port-I/O exits for the lap counter are
     * passed over) until the vCPU is kicked {@code micros} microseconds later (at once with 0); fails on the
     * guest's failure port (0x99) or any other exit.
     */
    static void run(RawVm vm, Consumer<VcpuFd> before, long micros) throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            vm.vcpu.bindToCurrentThread();
            before.accept(vm.vcpu);
            while (true) {
                int exit = vm.vcpu.run();
                KvmRun r = vm.vcpu.kvmRun();
                if (exit == VcpuFd.RUN_INTERRUPTED || exit == KvmRun.EXIT_INTR) {
                    r.immediateExit(false);
                    return;
                }
                if (exit != KvmRun.EXIT_IO || r.ioPort() != PORT_LAPS) {
                    failure.set(KvmRun.exitName(exit) + (exit == KvmRun.EXIT_IO ? " port 0x"
                            + Integer.toHexString(r.ioPort()) : "") + " at laps " + vm.laps());
                    return;
                }
            }
        }, "vcpu-0");
        t.start();
        if (micros > 0) {
            Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
        }
        vm.vcpu.kick();
        t.join(10_000);
        assertNull(failure.get(), "the guest failed");
    }

    static void realMode(VcpuFd vcpu, long rip) {
        Sregs s = vcpu.getSregs();
        Segment cs = s.cs();
        Segment flat = new Segment(0, cs.limit(), 0, cs.type(), cs.present(), cs.dpl(), cs.db(), cs.s(), cs.l(),
                cs.g(), cs.avl(), cs.unusable());
        vcpu.setSregs(new Sregs(flat, s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt(), s.gdt(), s.idt(),
                s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase(), s.interruptBitmap()));
        vcpu.setRegs(Regs.atRip(rip));
    }

    static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
