package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.jkvm.vmstate.StateSection;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A 64-bit guest ({@code platform.S} beside this test's resources) takes the PC's interrupts through the backend's
 * I/O APIC and local APIC, as Linux does: PIT ticks, the RTC's periodic interrupt and COM1's received data, which
 * comes from the engine's serial socket and is echoed back. Then the same guest is moved, with its interrupt
 * controllers, PIT, RTC and UART, to a second VM, where the timers go on. On KVM with its in-kernel irqchip and on
 * the software CPU with its Java interrupt controllers.
 */
class PlatformInterruptTest {
    /** {@code platform.S}: {@code as --64}, {@code ld -Ttext 0 --oformat binary}. */
    static final String CODE = "fa48c7c400000800488d058d01000031ffe88c010000ffc781ff0001000072f1488d052f010000bf3000"
            + "0000e871010000488d0536010000bf34000000e860010000488d0515010000bf38000000e84f010000488d0540010000"
            + "bfff000000e83e0100000f011d95010000b0ffe621e6a1bb0000e0fec783f0000000ff010000c7835003000000000100"
            + "c7838000000000000000be0000c0feba14000000b830000000e82f010000ba18000000b834000000e820010000ba2000"
            + "0000b838000000e811010000b034e64366b89c2ee64088e0e640b00ae670b029e671b00be670b042e671b00ce670e471"
            + "66bafb03b083ee66baf803b001ee66ffc230c0ee66bafb03b003ee66bafa03b007ee66bafc03b00bee66baf903b001ee"
            + "488d35f5000000e8b7000000fbf4833ddb0000006472f6833dd60000001472ed833dd10000000372e4fa488d35d20000"
            + "00e88d000000b021e6f4ebfeff05ae000000eb2b50b00ce670e47158ff05a2000000eb1b505266bafd03eca801740e66"
            + "baf803eceeff058d000000ebe95a5853bb0000e0fec783b0000000000000005b48cfb0eee6f4ebfe5189f9c1e10481c1"
            + "0000070066890166c74102080066c74104008e5048c1e8106689410648c1e810894108c7410c000000005859c3891689"
            + "4610c35052ac84c0741488c466bafd03eca82074fb66baf80388e0eeebe75a58c30f1f440000ff0f0000070000000000"
            + "00000000000000000000000072656164790a00646f6e650a00";
    /** The guest's exit status once it has had its interrupts. */
    static final int DONE = 0x21;

    @TempDir
    Path dir;

    private VmConfig config(Accelerator accel, CharDev serial, String incoming) throws Exception {
        if (accel == Accelerator.KVM) {
            Require.kvm();
        }
        Path elf = dir.resolve("platform.elf");
        Files.write(elf, TinyElf.elf32(HexFormat.of().parseHex(CODE), true, 0));
        MachineOptions machine = new MachineOptions(MachineOptions.IrqChip.ON, true);
        return VmConfig.builder().name("platform").memoryBytes(16L << 20).cpu(CpuSpec.parse("qemu64")).kernel(elf)
                .serial(serial).incoming(incoming).kvmDevice(Require.kvmDevice()).accel(List.of(accel))
                .machine(machine).build();
    }

    /** Creates the VM with a serial socket that start-up waits on, and connects to it. */
    private Vm createConnected(VmConfig config, Path sock, SocketChannel[] client) throws Exception {
        CompletableFuture<Vm> vm = CompletableFuture.supplyAsync(() -> Vm.create(config));
        Await.until("the serial socket " + sock, () -> Files.exists(sock) || vm.isDone());
        client[0] = SocketChannel.open(StandardProtocolFamily.UNIX);
        client[0].connect(UnixDomainSocketAddress.of(sock));
        return vm.join();
    }

    /** Reads from {@code ch} until {@code text} has arrived (or the engine closed the socket). */
    private static String readUntil(SocketChannel ch, ByteArrayOutputStream got, String text) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(256);
        while (!got.toString(StandardCharsets.US_ASCII).contains(text)) {
            b.clear();
            if (ch.read(b) < 0) {
                break;
            }
            got.write(b.array(), 0, b.position());
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(Accelerator.class)
    void pitRtcAndSerialInterruptsReachTheGuestThroughTheIoapic(Accelerator accel) throws Exception {
        Path sock = dir.resolve("serial.sock");
        SocketChannel[] ch = new SocketChannel[1];
        try (Vm vm = createConnected(config(accel, new CharDev.UnixDev(sock, true, true), null), sock, ch);
                SocketChannel client = ch[0]) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            vm.cont();
            assertEquals("ready\n", readUntil(client, got, "ready\n"), "the guest is set up");
            client.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
            VmExit exit = exitOf(vm, "the guest echoes the typed bytes and ends");
            assertEquals(DONE, exit.status(), exit.reason() + "\n" + exit.registerDump());
            assertEquals("ready\nabcdone\n", readUntil(client, got, "done\n"),
                    "each typed byte was an interrupt, echoed by the guest");
        }
    }

    @ParameterizedTest
    @EnumSource(Accelerator.class)
    void theInterruptControllersTimersAndDevicesMoveToAnotherVmAndGoOn(Accelerator accel) throws Exception {
        Path log = dir.resolve("source.log");
        List<StateSection> state;
        ByteBuffer ram;
        try (Vm source = Vm.create(config(accel, new CharDev.FileDev(log), null))) {
            source.cont();
            Await.until("the guest on the source is ready", () -> Files.readString(log).contains("ready"));
            source.stop();
            state = source.migratable().saveState();
            MemoryRegion low = source.machine().memory.regions().get(0);
            ram = ByteBuffer.allocate((int) low.sizeBytes());
            source.machine().memory.read(0, ram);
            source.quit();
        }
        assertEquals(List.of("cpu#0", "lapic#0", "pic#0", "ioapic#0", "pit#0", "kvmclock#0", "serial#0", "acpi-pm#0",
                "rtc#0", "i8042#0"),
                state.stream().map(StateSection::label).toList());

        Path sock = dir.resolve("dest.sock");
        SocketChannel[] ch = new SocketChannel[1];
        try (Vm dest = createConnected(config(accel, new CharDev.UnixDev(sock, true, true), "defer"), sock, ch);
                SocketChannel client = ch[0]) {
            dest.machine().memory.write(0, ram.flip());
            dest.migratable().restoreState(state);
            dest.resumeVcpu();
            client.write(ByteBuffer.wrap("xyz".getBytes(StandardCharsets.US_ASCII)));
            VmExit exit = exitOf(dest, "the moved guest takes the typed bytes and its timers tick on");
            assertEquals(DONE, exit.status(), exit.reason() + "\n" + exit.registerDump());
            String out = readUntil(client, new ByteArrayOutputStream(), "done\n");
            assertTrue(out.endsWith("xyzdone\n"), "the PIT and RTC went on ticking and COM1 on taking input: " + out);
        }
    }

    /**
     * The guest's exit, waited for at most 2 minutes: a guest left halted with no interrupt coming (a lost timer
     * tick or UART interrupt) must fail the test rather than hang the build.
     */
    private static VmExit exitOf(Vm vm, String what) throws Exception {
        try {
            return vm.exitFuture().get(2, java.util.concurrent.TimeUnit.MINUTES);
        } catch (java.util.concurrent.TimeoutException e) {
            ByteBuffer counters = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            vm.machine().memory.read(TinyElf.LOAD_GPA + org.jkvm.loader.BootHeader.SIZE + 0x20a, counters);
            throw new AssertionError(what + ": the guest did not end within 2 minutes (halted with no interrupt "
                    + "delivered?); its counters: PIT " + counters.getInt(0) + " of 100, RTC " + counters.getInt(4)
                    + " of 20, COM1 " + counters.getInt(8) + " of 3", e);
        }
    }
}
