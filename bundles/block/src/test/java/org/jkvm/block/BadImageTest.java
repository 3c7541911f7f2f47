package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken images (issue 14, acceptance 4): each is refused with one sentence of the right kind, and the
 * file's bytes are the same afterwards (nothing was written). Built by jkvm itself, then damaged by hand.
 */
class BadImageTest {
    private static final int CLUSTER = 65536;

    @TempDir
    Path dir;

    /** A 16 MiB qcow2 v3 with three written clusters. */
    private Path image(String name) {
        Path p = dir.resolve(name);
        BlockImages.createQcow2(p, 16 << 20, CLUSTER, null, null);
        try (BlockImage img = BlockImages.open(p, OpenOptions.of(ImageFormat.QCOW2))) {
            for (int i = 0; i < 3; i++) {
                img.write((long) i * (4 << 20), ByteBuffer.wrap(new byte[4096]).put(0, (byte) (i + 1)));
            }
        }
        return p;
    }

    private static long u64(Path p, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            f.seek(offset);
            return f.readLong(); // qcow2 metadata is big-endian, as RandomAccessFile reads
        }
    }

    private static void putU64(Path p, long offset, long value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(offset);
            f.writeLong(value);
        }
    }

    /** Opens read-write and reads everything; returns the failure, asserting the file was not changed. */
    private static BlockException refused(Path p) throws IOException {
        byte[] before = Files.readAllBytes(p);
        BlockException e = assertThrows(BlockException.class, () -> {
            try (BlockImage img = BlockImages.open(p, OpenOptions.of(ImageFormat.QCOW2))) {
                ByteBuffer b = ByteBuffer.allocate(CLUSTER);
                for (long off = 0; off < img.sizeBytes(); off += CLUSTER) {
                    img.read(off, b.clear());
                }
                img.write(8 << 20, ByteBuffer.wrap(new byte[512]));
            }
        });
        assertArrayEquals(before, Files.readAllBytes(p), "nothing was written to " + p);
        return e;
    }

    @Test
    void aTruncatedImage() throws IOException {
        Path p = image("truncated.qcow2");
        long l1 = u64(p, 40);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(l1 + 8); // the L1 table is cut after its first entry
        }
        BlockException e = refused(p);
        assertEquals(BlockException.Kind.CORRUPT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("is truncated") || e.getMessage().contains("is corrupt"), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("nothing was written"),
                e.getMessage());
    }

    @Test
    void anL2EntryPointingPastTheEndOfTheFile() throws IOException {
        Path p = image("l2.qcow2");
        long l2 = u64(p, u64(p, 40)) & 0x00ff_ffff_ffff_fe00L;
        putU64(p, l2, (1L << 63) | (Files.size(p) + 1000L * CLUSTER));
        BlockException e = refused(p);
        assertEquals(BlockException.Kind.CORRUPT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().startsWith("qcow2 image " + p + " is corrupt: "), e.getMessage());
    }

    @Test
    void aRefcountTableEntryPointingPastTheEndOfTheFile() throws IOException {
        Path p = image("refcount.qcow2");
        long table = u64(p, 48);
        putU64(p, table, Files.size(p) + 1000L * CLUSTER);
        BlockException e = refused(p);
        assertEquals(BlockException.Kind.CORRUPT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void aBackingChainThatLoops() throws IOException {
        Path a = dir.resolve("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        BlockImages.createQcow2(b, 1 << 20, CLUSTER, null, null);
        BlockImages.createQcow2(a, 1 << 20, CLUSTER, "b.qcow2", ImageFormat.QCOW2);
        Path c = dir.resolve("c.qcow2");
        BlockImages.createQcow2(c, 1 << 20, CLUSTER, "a.qcow2", ImageFormat.QCOW2);
        Files.move(c, b, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // b now backs onto a, which backs onto b
        BlockException e = refused(a);
        assertEquals(BlockException.Kind.CORRUPT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().startsWith("the backing chain of " + a + " loops"), e.getMessage());
    }

    @Test
    void aBackingChainDeeperThan64() throws IOException {
        BlockImages.createQcow2(dir.resolve("l0.qcow2"), 1 << 20, CLUSTER, null, null);
        for (int i = 1; i <= 70; i++) {
            BlockImages.createQcow2(dir.resolve("l" + i + ".qcow2"), 1 << 20, CLUSTER, "l" + (i - 1) + ".qcow2",
                    ImageFormat.QCOW2);
        }
        BlockException e = refused(dir.resolve("l70.qcow2"));
        assertEquals(BlockException.Kind.UNSUPPORTED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("is deeper than 64 backing files"), e.getMessage());
    }

    @Test
    void aVirtualSizeTheFileSystemCannotHold() throws IOException {
        Path p = dir.resolve("huge.qcow2");
        long size = 32L << 40; // ext4 with 4 KiB blocks holds files up to 16 TiB
        try (RandomAccessFile probe = new RandomAccessFile(dir.resolve("probe").toFile(), "rw")) {
            boolean limited;
            try {
                probe.setLength(size);
                limited = false;
            } catch (IOException tooLarge) {
                limited = true;
            }
            Require.that(limited, "a temporary directory on a file system that cannot hold a 32 TiB file (ext4)");
        }
        BlockException create = assertThrows(BlockException.class,
                () -> BlockImages.createQcow2(dir.resolve("refused.qcow2"), size, CLUSTER, null, null));
        assertTrue(create.getMessage().matches(".*allows files of at most [1-9][0-9]{12,} bytes.*"),
                create.getMessage());
        QemuTools.require();
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", p.toString(), "32T");
        BlockException e = refused(p);
        assertEquals(BlockException.Kind.INVALID_REQUEST, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("more than the largest file its file system allows"), e.getMessage());
    }
}
