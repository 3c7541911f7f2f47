package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

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
        return Vm.create(new VmConfig("tiny", UUID.randomUUID(), 16L << 20, 1, CpuSpec.parse("qemu64"), elf, "",
                new CharDev.FileDev(dir.resolve("serial.log")), null, null, false, null, false, null,
                VmConfig.defaultKvmDevice()).withMachine(machine));
    }

    @Test
    void stopInterruptsAGuestThatNeverExits() throws Exception {
        try (Vm vm = boot(new byte[] {(byte) 0xeb, (byte) 0xfe})) { // jmp $
            vm.cont();
            Thread.sleep(200);
            long t0 = System.nanoTime();
            vm.stop();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(RunState.PAUSED, vm.state());
            assertTrue(ms < 5000, "stop took " + ms + " ms: the kick did not interrupt KVM_RUN");
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
        try (Vm vm = Vm.create(new VmConfig("echo", UUID.randomUUID(), 16L << 20, 1, CpuSpec.parse("qemu64"), elf,
                "", new CharDev.UnixDev(sock, true, false), null, null, false, null, false, null,
                VmConfig.defaultKvmDevice()));
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

    @Test
    void throttleSlowsTheGuestDown() throws Exception {
        // loop: out 0x80, al; jmp loop: the I/O exit count measures how much the guest ran
        try (Vm vm = boot(new byte[] {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfc})) {
            vm.cont();
            Thread.sleep(300);
            long free = exitsDuring(vm, 1000);
            vm.migratable().setThrottle(75);
            Thread.sleep(100);
            long throttled = exitsDuring(vm, 1000);
            vm.migratable().setThrottle(0);
            assertEquals(0, vm.migratable().throttle());
            // 75 % throttle leaves about a quarter of the time; wide margin for a busy host.
            assertTrue(throttled < free * 0.7, "free " + free + " exits/s, throttled " + throttled + " exits/s");
            assertTrue(throttled > 0, "the throttled guest still runs");
        }
    }

    private static long exitsDuring(Vm vm, long ms) throws InterruptedException {
        long before = vm.ioExits();
        Thread.sleep(ms);
        return vm.ioExits() - before;
    }
}
