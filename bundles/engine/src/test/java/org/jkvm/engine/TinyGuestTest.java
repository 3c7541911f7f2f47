package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.loader.TinyElf;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-assembled 64-bit guests (tier b): the kick, the exit switch and the port bus. */
class TinyGuestTest {
    @TempDir
    Path dir;

    private Vm boot(byte[] code) throws Exception {
        return boot(code, MachineOptions.DEFAULT);
    }

    private Vm boot(byte[] code, MachineOptions machine) throws Exception {
        Path elf = dir.resolve("tiny.elf");
        Files.write(elf, TinyElf.elf32(code, true, 0));
        return Vm.create(VmConfig.builder().name("tiny").memoryBytes(16L << 20).cpu(CpuSpec.parse("qemu64"))
                .kernel(elf).serial(new CharDev.FileDev(dir.resolve("serial.log"))).machine(machine).build());
    }

    /**
     * The guest writes port 0x80 once, then spins in {@code jmp $} without another exit; only the kick gets the vCPU
     * out. Without it, stop() fails after the runner's 30 s command timeout ("the vCPU did not answer").
     */
    @Test
    void stopInterruptsAGuestThatNeverExits() throws Exception {
        try (Vm vm = boot(new byte[] {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfe})) { // out 0x80, al; jmp $
            vm.cont();
            Await.until("the guest has run up to its endless loop", () -> vm.ioExits() == 1);
            vm.stop();
            assertEquals(RunState.PAUSED, vm.state());
            vm.cont();
            vm.quit();
            assertEquals(0, vm.awaitExit().status());
        }
    }

    @Test
    void portWritesReachTheSerialAndDebugExit() throws Exception {
        byte[] code = {
            (byte) 0x66, (byte) 0xba, (byte) 0xf8, 0x03, // mov dx, 0x3f8
            (byte) 0xb0, 'o', (byte) 0xee,                // mov al, 'o'; out dx, al
            (byte) 0xb0, 'k', (byte) 0xee,                // mov al, 'k'; out dx, al
            (byte) 0xb0, '\n', (byte) 0xee,               // mov al, '\n'; out dx, al
            (byte) 0xe6, (byte) 0x80,                     // out 0x80, al (POST, ignored)
            (byte) 0xb0, 42, (byte) 0xe6, (byte) 0xf4,    // mov al, 42; out 0xf4, al
            (byte) 0xeb, (byte) 0xfe};
        try (Vm vm = boot(code)) {
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(42, exit.status(), exit.reason());
            assertEquals("ok\n", Files.readString(dir.resolve("serial.log")));
        }
    }

    @Test
    void withoutInterruptControllersHaltStopsTheVmWithARegisterDump() throws Exception {
        MachineOptions off = MachineOptions.DEFAULT.withIrqchip(MachineOptions.IrqChip.OFF);
        try (Vm vm = boot(new byte[] {(byte) 0xf4}, off)) { // hlt
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(1, exit.status(), "an unexpected HLT is a failure");
            assertTrue(exit.failure() && exit.reason().contains("halted"), exit.reason());
            assertTrue(exit.registerDump().contains("RIP=0000000000100019"), exit.registerDump());
            assertEquals(RunState.SHUTDOWN, vm.state());
        }
    }

    @Test
    void withInterruptControllersHaltWaitsForAnInterrupt() throws Exception {
        MachineOptions on = MachineOptions.DEFAULT.withIrqchip(MachineOptions.IrqChip.ON);
        Require.that(irqChipAvailable(), "the default backend has no interrupt controllers");
        try (Vm vm = boot(new byte[] {(byte) 0xf4, (byte) 0xeb, (byte) 0xfe}, on)) { // hlt (IF clear); jmp $
            vm.cont();
            CpuState halted = Await.value("the vCPU halts", () -> {
                vm.stop();
                CpuState s = vm.runner().call(vm.machine().vcpu::saveState);
                vm.cont();
                return s;
            }, s -> s.activity() == ActivityState.HALTED);
            assertEquals(0x100019, halted.registers().rip(), "past the HLT, waiting inside the backend");
            assertEquals(RunState.RUNNING, vm.state(), "a halted guest is a running VM, as in QEMU");
            vm.quit();
            assertEquals(0, vm.awaitExit().status());
        }
    }

    /** Whether the default backend offers interrupt controllers. */
    static boolean irqChipAvailable() {
        try (var h = Backends.open(java.util.List.of(), VmConfig.defaultKvmDevice()).hypervisor();
                var mem = org.jkvm.memory.MmapGuestMemory.allocate(16L << 20); var vm = h.createVm(mem)) {
            return vm.irqChipSupported();
        }
    }

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void closeReleasesEveryDescriptor() throws Exception {
        byte[] exit = {(byte) 0xb0, 7, (byte) 0xe6, (byte) 0xf4, (byte) 0xeb, (byte) 0xfe}; // out 0xf4, 7
        try (Vm warm = boot(exit)) {
            warm.cont();
            warm.awaitExit();
        }
        long before = openFds();
        for (int i = 0; i < 3; i++) {
            try (Vm vm = boot(exit)) {
                vm.cont();
                assertEquals(7, vm.awaitExit().status());
            }
        }
        assertEquals(before, openFds(), "file descriptors leaked by Vm.close");
    }

    @Test
    void serialSocketInputReachesTheGuestAndItsEchoComesBack() throws Exception {
        byte[] echo = {
            0x66, (byte) 0xba, (byte) 0xfd, 0x03,          // 0: mov dx, 0x3fd (LSR)
            (byte) 0xec, (byte) 0xa8, 0x01,                // 4: in al, dx; test al, 1 (DR)
            0x74, (byte) 0xf7,                             // 7: jz 0
            0x66, (byte) 0xba, (byte) 0xf8, 0x03,          // 9: mov dx, 0x3f8
            (byte) 0xec, (byte) 0xee,                      // 13: in al, dx (RBR); out dx, al (THR)
            0x3c, 'q', 0x75, (byte) 0xed,                  // 15: cmp al, 'q'; jne 0
            (byte) 0xe6, (byte) 0xf4, (byte) 0xeb, (byte) 0xfe}; // 19: out 0xf4, al; jmp $
        Path elf = dir.resolve("echo.elf");
        Files.write(elf, TinyElf.elf32(echo, true, 0));
        Path sock = dir.resolve("serial.sock");
        try (Vm vm = Vm.create(VmConfig.builder().name("echo").memoryBytes(16L << 20).cpu(CpuSpec.parse("qemu64"))
                .kernel(elf).serial(new CharDev.UnixDev(sock, true, false)).build());
                var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(sock));
            vm.cont();
            ch.write(java.nio.ByteBuffer.wrap("hi\nq".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            VmExit exit = vm.awaitExit();
            assertEquals('q', exit.status(), exit.reason());
            java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(16);
            while (ch.read(got) > 0) {
                // until the engine closes the socket at the end of the VM
            }
            assertEquals("hi\nq", new String(got.array(), 0, got.position(),
                    java.nio.charset.StandardCharsets.US_ASCII), "every byte echoed, the last one flushed at the end");
        }
    }

    /**
     * What jkvm controls in throttling, without timing the guest: at 75 % the vCPU thread takes sleeps of exactly
     * three running slices (30 ms after each 10 ms slice), the guest goes on running between them, and 0 stops them.
     * How much slower the guest gets is a rate on a shared host: EngineBench measures it ({@code -Dthrottle=75}).
     */
    @Test
    void throttleSleepsTheVcpuBetweenSlicesAndTheGuestRunsOn() throws Exception {
        assertEquals(30_000_000L, Throttle.sleepNanos(75));
        assertEquals(10_000_000L, Throttle.sleepNanos(50));
        assertEquals(0L, Throttle.sleepNanos(0));
        // loop: out 0x80, al; jmp loop: the I/O exit count shows that the guest runs
        try (Vm vm = boot(new byte[] {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfc})) {
            vm.cont();
            Await.until("the guest runs", () -> vm.ioExits() > 100);
            assertEquals(0, vm.runner().throttleSleeps(), "no sleeps before a throttle is set");
            vm.migratable().setThrottle(75);
            Await.until("five throttle sleeps", () -> vm.runner().throttleSleeps() >= 5);
            long exits = vm.ioExits();
            Await.until("the throttled guest still runs", () -> vm.ioExits() > exits + 100);
            assertEquals(0, vm.runner().throttleSleptNanos() % Throttle.sleepNanos(75), "each sleep is 30 ms");
            vm.migratable().setThrottle(0);
            assertEquals(0, vm.migratable().throttle());
        }
    }
}
