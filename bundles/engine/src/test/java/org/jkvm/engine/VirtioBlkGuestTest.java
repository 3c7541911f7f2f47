package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.jkvm.block.BlockImage;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * virtio-blk end to end through the engine: the command line in QEMU's spellings, the PCI bus on the port and MMIO
 * buses, the modern transport and the image library, driven by a 64-bit guest ({@code virtio-blk.S}) that polls. On
 * every backend this host has (the software CPU always; KVM where the device is usable).
 */
class VirtioBlkGuestTest {
    private static final int SLOT = 4;

    @TempDir
    Path dir;

    static Stream<Arguments> backendsAndFormats() {
        List<Arguments> out = new ArrayList<>();
        for (Accelerator a : CrossBackendTest.available()) {
            for (String formatAndCache : List.of("raw none", "qcow2 writeback", "qcow2 none", "raw writethrough")) {
                String[] fc = formatAndCache.split(" ");
                out.add(Arguments.of(a, fc[0], fc[1]));
            }
        }
        return out.stream();
    }

    private Path image(String format) {
        Path p = dir.resolve("disk." + format);
        if (format.equals("raw")) {
            try {
                Files.write(p, new byte[1 << 20]);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        } else {
            BlockImages.createQcow2(p, 1 << 20, 65536, null, null);
        }
        try (BlockImage img = BlockImages.open(p, OpenOptions.of(ImageFormat.parse(format)))) {
            img.write(0, ByteBuffer.wrap("virtio!\n".getBytes(StandardCharsets.US_ASCII)));
        }
        return p;
    }

    private VmExit run(Accelerator accel, String drive, String... extra) throws Exception {
        byte[] code = GuestAsm.assemble("virtio-blk.S", dir, "SLOT=" + SLOT);
        Path elf = dir.resolve("guest.elf");
        Files.write(elf, TinyElf.elf32(code, true, 0));
        List<String> args = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "64M", "-kernel",
                elf.toString(), "-serial", "file:" + dir.resolve("serial.log"), "-drive", drive, "-device",
                "virtio-blk-pci,drive=d0,addr=0x" + SLOT));
        args.addAll(List.of(extra));
        try (Vm vm = Vm.create(VmConfigParser.parse(args))) {
            vm.cont();
            return vm.awaitExit();
        }
    }

    private static byte[] sector(Path image, String format, long sector) {
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.parse(format)).withReadOnly(true))) {
            ByteBuffer b = ByteBuffer.allocate(512);
            img.read(sector * 512, b);
            return b.array();
        }
    }

    @ParameterizedTest(name = "{0}, {1}, cache={2}")
    @MethodSource("backendsAndFormats")
    void aGuestWritesFlushesReadsAndGetsTheId(Accelerator accel, String format, String cache) throws Exception {
        Path img = image(format);
        VmExit exit = run(accel, "file=" + img + ",format=" + format + ",if=none,id=d0,cache=" + cache
                + ",serial=jkvm-d0");
        assertEquals(42, exit.status(), exit.reason() + " (the exit code is the failed step)");
        assertEquals("virtio!\njkvm-d0\n", Files.readString(dir.resolve("serial.log")));
        byte[] expected = new byte[512];
        Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, sector(img, format, 1), "the guest's write is in the image");
    }

    @Test
    void snapshotWritesGoToATemporaryOverlay() throws Exception {
        Accelerator accel = CrossBackendTest.available().get(0);
        Path img = image("qcow2");
        // also the machine without interrupt controllers: the guest polls, INTx reaches nothing
        VmExit exit = run(accel, "file=" + img + ",format=qcow2,if=none,id=d0,serial=jkvm-d0", "-snapshot",
                "-machine", "pc,kernel-irqchip=off");
        assertEquals(42, exit.status(), exit.reason());
        assertArrayEquals(new byte[512], sector(img, "qcow2", 1), "the image is untouched");
    }

    @Test
    void aReadOnlyDriveFailsTheGuestsWrite() throws Exception {
        Accelerator accel = CrossBackendTest.available().get(0);
        Path img = image("raw");
        VmExit exit = run(accel, "file=" + img + ",format=raw,if=none,id=d0,readonly=on");
        assertEquals(2, exit.status(), "step 2, the write, gets VIRTIO_BLK_S_IOERR: " + exit.reason());
        assertArrayEquals(new byte[512], sector(img, "raw", 1));
    }

    @Test
    void aSecondEngineOnTheSameImageGetsASentence() throws Exception {
        Path img = image("raw");
        VmConfig first = VmConfigParser.parse(List.of("-accel", "tcg", "-drive", "file=" + img
                + ",format=raw,if=virtio"));
        assertTrue(Backends.installed(Accelerator.TCG), "the software CPU is on the engine's test class path");
        try (Vm vm = Vm.create(first)) {
            EngineException e = assertThrows(EngineException.class, () -> Vm.create(first));
            String locked = "-drive virtio0: " + img + " is locked for writing by another process";
            assertTrue(e.getMessage().startsWith(locked),
                    e.getMessage());
            assertEquals(null, vm.migratable().migrationBlocker(), "a disk on shared storage migrates");
        }
    }
}
