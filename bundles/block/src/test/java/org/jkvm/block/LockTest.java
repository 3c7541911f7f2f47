package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's lock protocol between processes: two jkvm processes (a child JVM running {@link LockHolder}), and jkvm
 * with {@code qemu-io}, which honours the same bytes.
 */
class LockTest {
    @TempDir
    Path dir;
    private Path image;

    @BeforeEach
    void create() {
        QemuTools.require();
        image = dir.resolve("disk.qcow2");
        BlockImages.createQcow2(image, 1 << 20, 65536, null, null);
    }

    /** A child JVM that opens the image as asked, prints "open", and closes it when its stdin closes. */
    private static Process holder(Path image, String mode) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                image.toString(), mode).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertEquals("open", line, "the holder process did not open " + image);
        return p;
    }

    private static void release(Process p) throws Exception {
        p.getOutputStream().close();
        assertEquals(0, p.waitFor());
    }

    @Test
    void aSecondJkvmWriterGetsASentenceAndReadersCoexist() throws Exception {
        Process writer = holder(image, "rw");
        BlockException e = assertThrows(BlockException.class,
                () -> BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2)));
        assertEquals(BlockException.Kind.LOCKED, e.kind());
        assertTrue(e.getMessage().startsWith(image + " is locked for writing by another process (jkvm, pid "),
                e.getMessage());
        assertThrows(BlockException.class, () -> BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2)
                .withReadOnly(true)), "a writer shares nothing, as QEMU's");
        assertTrue(BlockImages.writeLockHolder(image).isPresent());
        release(writer);
        assertTrue(BlockImages.writeLockHolder(image).isEmpty(), "the lock went with the process");
        Process reader = holder(image, "ro");
        try (BlockImage second = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            second.read(0, ByteBuffer.allocate(512));
        }
        assertThrows(BlockException.class, () -> BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2)),
                "a reader does not share write");
        release(reader);
    }

    @Test
    void qemuIoSeesAJkvmWriterAndJkvmSeesAQemuIoWriter() throws Exception {
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2))) {
            QemuTools.Result r = QemuTools.exec(List.of("qemu-io", "-f", "qcow2", "-c", "read 0 512",
                    image.toString()));
            assertNotEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("Failed to get") && r.output().contains("lock"), r.output());
            QemuTools.Result ro = QemuTools.exec(List.of("qemu-io", "-r", "-f", "qcow2", "-c", "read 0 512",
                    image.toString()));
            assertNotEquals(0, ro.exit(), "a jkvm writer does not share write, so even a reader is refused: "
                    + ro.output());
            QemuTools.Result shared = QemuTools.exec(List.of("qemu-io", "-r", "-U", "-f", "qcow2", "-c",
                    "read 0 512", image.toString()));
            assertEquals(0, shared.exit(), "force-share reads anyway: " + shared.output());
        }
        // qemu-io in interactive mode holds the image for writing until its stdin closes.
        Process qemu = new ProcessBuilder("qemu-io", "-f", "qcow2", image.toString()).redirectErrorStream(true)
                .start();
        OutputStream in = qemu.getOutputStream();
        in.write("write -P 0x61 0 4096\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); line != null && !line.contains("wrote 4096"); line = out.readLine()) {
            assertTrue(!line.contains("rror"), line);
        }
        BlockException e = assertThrows(BlockException.class,
                () -> BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2)));
        assertEquals(BlockException.Kind.LOCKED, e.kind(), e.getMessage());
        in.write("quit\n".getBytes(StandardCharsets.US_ASCII));
        in.close();
        assertEquals(0, qemu.waitFor());
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2))) {
            ByteBuffer b = ByteBuffer.allocate(1);
            img.read(4095, b);
            assertEquals(0x61, b.get(0), "qemu-io's write is there once it let go");
        }
    }

    @Test
    void anInactiveDestinationTakesTheLockOnlyWhenTheSourceGaveItUp() throws Exception {
        try (BlockImage source = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2));
             BlockImage dest = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2).withInactive(true))) {
            source.write(0, ByteBuffer.wrap(new byte[] {7}));
            assertThrows(BlockException.class, dest::activate, "the source still writes");
            assertTrue(!dest.active());
            source.inactivate();
            dest.activate();
            ByteBuffer b = ByteBuffer.allocate(1);
            dest.read(0, b);
            assertEquals(7, b.get(0), "the destination reads the metadata afresh");
            assertThrows(BlockException.class, source::activate, "now the destination writes");
        }
    }
}
