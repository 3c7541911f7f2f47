package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.jkvm.engine.vcpu.CpuStateCodec;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seed's "migration does not work while CPU real-mode/protected mode are still changing": a guest that switches
 * between real mode and 32-bit protected mode all the time (and checks itself every lap) is stopped at random
 * instructions and its vCPU moved, through the migration's vCPU record (the architectural {@code cpu} section,
 * encoded and decoded), into a new VM with a copy of its RAM, again and again; it goes on without an error,
 * including from the states between setting CR0.PE and reloading CS, where the hidden segment state is all that
 * says which mode the guest is in. Runs on the backend the engine picks by default and, when it is installed and
 * not that one already, on the software CPU.
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

    /** The default backend, then the software CPU when it is installed and not the default already. */
    static List<Accelerator> backends() {
        List<Accelerator> out = new ArrayList<>();
        try (Hypervisor h = Backends.open(List.of(), VmConfig.defaultKvmDevice()).hypervisor()) {
            out.add(h.accelerator());
        }
        if (!out.contains(Accelerator.TCG) && Backends.installed(Accelerator.TCG)) {
            out.add(Accelerator.TCG);
        }
        return out;
    }

    /** Port 0x98 (lap counter) is expected; anything else is the guest's failure. */
    static final class Ops implements VmOps {
        final AtomicReference<String> failure = new AtomicReference<>();

        @Override
        public void pioRead(int port, byte[] data) {
            java.util.Arrays.fill(data, (byte) 0xff);
            failure.compareAndSet(null, "in from port 0x" + Integer.toHexString(port));
        }

        @Override
        public void pioWrite(int port, byte[] data) {
            if (port != PORT_LAPS) {
                failure.compareAndSet(null, "out to port 0x" + Integer.toHexString(port));
            }
        }

        @Override
        public void mmioRead(long gpa, byte[] data) {
            failure.compareAndSet(null, "MMIO read at 0x" + Long.toHexString(gpa));
        }

        @Override
        public void mmioWrite(long gpa, byte[] data) {
            failure.compareAndSet(null, "MMIO write at 0x" + Long.toHexString(gpa));
        }
    }

    /** One VM with 1 MiB of RAM at gpa 0 and one vCPU, nothing else. */
    static final class RawVm implements AutoCloseable {
        final MmapGuestMemory memory;
        final HvVm vm;
        final Ops ops = new Ops();
        final HvVcpu vcpu;

        RawVm(Hypervisor hv) {
            memory = MmapGuestMemory.allocate(RAM);
            vm = hv.createVm(memory);
            vcpu = vm.createVcpu(0, ops);
        }

        ByteBuffer ram() {
            return memory.regions().get(0).view(0, (int) RAM);
        }

        int laps() {
            return memory.readIntLE(0x5000);
        }

        @Override
        public void close() {
            vcpu.close();
            vm.close();
            memory.close();
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aGuestSwitchingModesMovesToAnotherVmAtAnyInstruction(Accelerator accel) throws Exception {
        try (Hypervisor hv = Backends.open(List.of(accel), VmConfig.defaultKvmDevice()).hypervisor()) {
            RawVm vm = new RawVm(hv);
            try {
                vm.memory.write(0x1000, ByteBuffer.wrap(hex(CODE)));
                run(vm, v -> realMode(v, 0x1000), 1000);
                Map<String, Integer> seen = new TreeMap<>();
                Random random = new Random(3);
                int move = 0;
                // At least MOVES moves, and on until both in-between states were caught (each is about one stop in
                // twelve, so a few dozen moves suffice; the cap only bounds a broken kick).
                while (move < MOVES || (!seen.containsKey(PE_SET_CS_REAL) || !seen.containsKey(PE_CLEAR_CS_PROTECTED))
                        && move < 2000) {
                    run(vm, v -> { }, 200 + random.nextInt(2000));
                    CpuState saved = vm.vcpu.saveState(); // stopped: nothing runs the vCPU now
                    seen.merge(mode(saved.system()), 1, Integer::sum);
                    StateWriter w = new StateWriter();
                    CpuStateCodec.encode(saved, w);
                    StateReader r = new StateReader(w.toByteArray(), "cpu#0");
                    CpuState copy = CpuStateCodec.decode(r);
                    r.expectEnd();
                    RawVm next = new RawVm(hv);
                    next.ram().put(vm.ram());
                    int lapsBefore = vm.laps();
                    vm.close();
                    vm = next;
                    run(vm, v -> v.restoreState(copy), 0);
                    assertTrue(vm.laps() >= lapsBefore, "laps went back after move " + move);
                    move++;
                }
                int laps = vm.laps();
                run(vm, v -> { }, 50_000);
                assertTrue(vm.laps() > laps + 100, "the guest goes on: " + laps + " -> " + vm.laps());
                int behind = vm.memory.readIntLE(0x5000) - vm.memory.readIntLE(0x5004); // stopped within a lap
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
    static String mode(SystemRegisters s) {
        boolean pe = s.protectedMode();
        int cs = s.cs().selector();
        if (pe) {
            return cs == 0x08 ? "protected 32-bit" : cs == 0x18 ? "protected 16-bit" : PE_SET_CS_REAL;
        }
        return cs == 0 ? "real" : PE_CLEAR_CS_PROTECTED;
    }

    /**
     * On a new thread bound to the vCPU: {@code before}, then runs it (the lap-counter port accesses are handled
     * on the way) until it is kicked {@code micros} microseconds after it started (at once with 0); fails on the
     * guest's failure port (0x99) or any other exit.
     */
    static void run(RawVm vm, Consumer<HvVcpu> before, long micros) throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch running = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                vm.vcpu.bindToCurrentThread();
                before.accept(vm.vcpu);
                running.countDown();
                while (true) {
                    VcpuExit exit = vm.vcpu.run();
                    if (vm.ops.failure.get() != null) {
                        failure.set(vm.ops.failure.get() + " at laps " + vm.laps());
                        return;
                    }
                    if (exit == VcpuExit.INTERRUPTED) {
                        vm.vcpu.completePendingIo(); // the state is then between two instructions
                        return;
                    }
                    if (exit != VcpuExit.CONTINUE) {
                        failure.set(exit + " (" + vm.vcpu.exitDetail() + ") at laps " + vm.laps());
                        return;
                    }
                }
            } catch (RuntimeException e) {
                failure.set(e.toString());
                running.countDown();
            }
        }, "vcpu-0");
        t.start();
        assertTrue(running.await(10, TimeUnit.SECONDS), "the vCPU thread started");
        if (micros > 0) {
            Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
        }
        vm.vcpu.kick();
        t.join(10_000);
        assertNull(failure.get(), "the guest failed");
    }

    static void realMode(HvVcpu vcpu, long rip) {
        SystemRegisters s = vcpu.systemRegisters();
        vcpu.setSystemRegisters(s.withSegments(SegmentRegister.realMode(0, true), s.ds()));
        vcpu.setRegisters(Registers.atRip(rip));
    }

    static byte[] hex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
