package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.testkit.Await;
import org.jkvm.vmstate.StateSection;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * virtio-blk completions as MSI-X messages through the engine's interrupt controllers, on every backend this host has
 * (the software CPU; KVM where it is usable): a 64-bit guest ({@code virtio-msix.S}) enables MSI-X, takes one
 * completion as interrupt 0x51 through its local APIC, masks the entry, sees the next completion set the pending bit
 * and no interrupt, and, once the test says go, unmasks it and takes the pending message. In the second case the
 * guest is moved between the pending bit and the go, through the migration sections and a copy of its RAM, into a
 * second VM: the pending bit travels and the destination delivers the message.
 */
class VirtioMsixGuestTest {
    private static final int SLOT = 4;
    private static final long GO_FLAG = 0x209000;
    private static final long IRQ_COUNT = 0x208000;
    private static final int PASSED = 42;

    @TempDir
    Path dir;

    static List<Accelerator> backends() {
        return CrossBackendTest.available();
    }

    private Vm vm(Accelerator accel, String serialLog, String... extra) throws Exception {
        Path elf = dir.resolve("msix.elf");
        if (!Files.exists(elf)) {
            byte[] code = GuestAsm.assemble("virtio-msix.S", dir, "SLOT=" + SLOT);
            Files.write(elf, TinyElf.elf32(code, true, 0));
        }
        Path disk = dir.resolve("disk.raw");
        if (!Files.exists(disk)) {
            Files.write(disk, new byte[1 << 20]);
        }
        List<String> args = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "16M", "-kernel",
                elf.toString(), "-serial", "file:" + dir.resolve(serialLog), "-machine", "pc,kernel-irqchip=on",
                "-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device",
                "virtio-blk-pci,drive=d0,addr=0x" + SLOT));
        args.addAll(List.of(extra));
        return Vm.create(VmConfigParser.parse(args));
    }

    private void awaitPending(Vm vm, String serialLog) {
        Await.until("the guest's completion pends on the masked entry (serial: pending)", () -> vm.exitFuture()
                .isDone() || Files.readString(dir.resolve(serialLog)).contains("pending"));
        if (vm.exitFuture().isDone()) {
            VmExit exit = vm.exitFuture().join();
            throw new AssertionError("the guest ended before its completion pended: step " + exit.status() + ", "
                    + exit.reason());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aCompletionIsAnMsiAndAMaskedOnePendsUntilUnmasked(Accelerator accel) throws Exception {
        try (Vm vm = vm(accel, "serial.log")) {
            vm.cont();
            awaitPending(vm, "serial.log");
            vm.machine().memory.write(GO_FLAG, ByteBuffer.wrap(new byte[] {1}));
            VmExit exit = exitOf(vm);
            assertEquals(PASSED, exit.status(), "the exit code is the failed step: " + exit.reason());
            assertEquals("pending\ndelivered\n", Files.readString(dir.resolve("serial.log")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void thePendingBitMovesWithTheGuestAndTheDestinationDeliversIt(Accelerator accel) throws Exception {
        List<StateSection> state;
        ByteBuffer ram;
        try (Vm source = vm(accel, "source.log")) {
            source.cont();
            awaitPending(source, "source.log");
            source.stop();
            state = source.migratable().saveState();
            MemoryRegion low = source.machine().memory.regions().get(0);
            ram = ByteBuffer.allocate((int) low.sizeBytes());
            source.machine().memory.read(0, ram);
            source.quit();
        }
        assertTrue(state.stream().anyMatch(s -> s.label().equals("virtio-blk#0") && s.version() == 2),
                "the virtio-blk section is written at version 2, with MSI-X");
        try (Vm dest = vm(accel, "dest.log", "-incoming", "defer")) {
            dest.machine().memory.write(0, ram.flip());
            dest.machine().memory.write(GO_FLAG, ByteBuffer.wrap(new byte[] {1}));
            dest.migratable().restoreState(state);
            dest.resumeVcpu();
            VmExit exit = exitOf(dest);
            assertEquals(PASSED, exit.status(), "the exit code is the failed step: " + exit.reason());
            assertEquals("delivered\n", Files.readString(dir.resolve("dest.log")));
        }
    }

    /** The guest's exit within 2 minutes: a message lost leaves it halted, which must fail, not hang the build. */
    private static VmExit exitOf(Vm vm) throws Exception {
        try {
            return vm.exitFuture().get(2, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            ByteBuffer count = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            vm.machine().memory.read(IRQ_COUNT, count);
            throw new AssertionError("the guest did not end within 2 minutes (halted with no MSI delivered?); it "
                    + "counted " + count.getInt(0) + " of 2 interrupts", e);
        }
    }
}
