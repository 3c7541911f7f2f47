package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import java.util.stream.Stream;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reset paths a kernel uses, on KVM and on the software CPU (each with its interrupt controllers): the i8042's
 * reset pulse, port 0xCF9, the ACPI reset register and a triple fault each reset the machine (the guest, loaded
 * again, counts its starts in RAM above its image, which a reset keeps, and ends at its third); with
 * {@code -no-reboot} the engine ends instead; ACPI S5 powers off with status 0.
 */
class GuestResetTest {
    /** Each reset mechanism, as the bytes between the count and {@code jmp $}. */
    static final String KBD = "b0fee664";
    static final String CF9 = "b00666baf90cee";
    static final String ACPI = "b00666ba0c06ee";
    /** {@code lidt [0x300000]} (a zero limit: RAM nobody wrote) then {@code ud2}: #UD, #GP, #DF, shutdown. */
    static final String TRIPLE_FAULT = "0f011c25000030000f0b";

    @TempDir
    Path dir;

    /**
     * {@code mov eax, [0x200000]; inc eax; mov [0x200000], eax; cmp eax, 3; je done; MECHANISM; jmp $;
     * done: out 0xf4, al; jmp $}.
     */
    static byte[] guest(String mechanism) {
        byte[] m = HexFormat.of().parseHex(mechanism);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(HexFormat.of().parseHex("8b042500002000ffc089042500002000" + "83f80374"));
        b.write(m.length + 2);
        b.writeBytes(m);
        b.writeBytes(HexFormat.of().parseHex("ebfee6f4ebfe"));
        return b.toByteArray();
    }

    private Vm boot(Accelerator accel, byte[] code, boolean noReboot) throws Exception {
        if (accel == Accelerator.KVM) {
            Require.kvm();
        }
        Path elf = dir.resolve("reset.elf");
        Files.write(elf, TinyElf.elf32(code, true, 0));
        return Vm.create(VmConfig.builder().name("reset").memoryBytes(16L << 20).cpu(CpuSpec.parse("qemu64"))
                .kernel(elf).machine(MachineOptions.DEFAULT.withNoReboot(noReboot)).kvmDevice(Require.kvmDevice())
                .accel(List.of(accel)).build());
    }

    /** Each backend with each reset mechanism. */
    static Stream<Arguments> backendsAndMechanisms() {
        return Stream.of(Accelerator.values())
                .flatMap(a -> Stream.of(KBD, CF9, ACPI, TRIPLE_FAULT).map(m -> Arguments.of(a, m)));
    }

    @ParameterizedTest
    @MethodSource("backendsAndMechanisms")
    void eachResetPathResetsTheMachineAndRamSurvives(Accelerator accel, String mechanism) throws Exception {
        try (Vm vm = boot(accel, guest(mechanism), false)) {
            List<EngineEvent> events = new CopyOnWriteArrayList<>();
            vm.addListener(events::add);
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(3, exit.status(), "the third start ends the guest: " + exit.reason() + exit.registerDump());
            long resets = events.stream().filter(e -> e instanceof EngineEvent.Reset r
                    && r.cause() == EngineEvent.Cause.GUEST_RESET).count();
            assertEquals(2, resets, events.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Accelerator.class)
    void withNoRebootAResetEndsTheEngineWithStatusZero(Accelerator accel) throws Exception {
        try (Vm vm = boot(accel, guest(KBD), true)) {
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(0, exit.status(), exit.reason());
            assertTrue(exit.reason().contains("i8042") && exit.reason().contains("-no-reboot"), exit.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Accelerator.class)
    void withNoRebootATripleFaultIsStillAFailureWithItsRegisters(Accelerator accel) throws Exception {
        try (Vm vm = boot(accel, guest(TRIPLE_FAULT), true)) {
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(1, exit.status(), exit.reason());
            assertTrue(exit.failure() && !exit.registerDump().isEmpty(), exit.reason());
        }
    }

    @ParameterizedTest
    @EnumSource(Accelerator.class)
    void acpiSleepStateS5PowersOffWithStatusZero(Accelerator accel) throws Exception {
        // mov ax, 0x3400 (SLP_TYP 5, SLP_EN); mov dx, 0x604 (PM1_CNT); out dx, ax; jmp $
        try (Vm vm = boot(accel, HexFormat.of().parseHex("66b8003466ba040666efebfe"), false)) {
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(0, exit.status(), exit.reason());
            assertTrue(exit.reason().contains("powered off"), exit.reason());
        }
    }
}
