package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a migration source does before it stops its guest ({@link BlockImage#preflush()}), and the flush that skips
 * its {@code fdatasync} when nothing was written since the last one: the downtime's flush and release then find
 * nothing left to write, and the image stays what {@code qemu-img check} calls clean.
 */
class PreflushTest {
    @TempDir
    Path dir;

    /**
     * Clusters past the end of the file that the refcounts count: the reserved batch, which {@code qemu-img check}
     * does not see (it stops at the end of the file), read straight from the first refcount block (16-bit counts).
     */
    private static int countedPastEnd(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(104);
            ch.read(h, 0);
            assertEquals(4, h.getInt(96), "refcount order");
            ByteBuffer table = ByteBuffer.allocate(8);
            ch.read(table, h.getLong(48));
            long block = table.getLong(0);
            ByteBuffer counts = ByteBuffer.allocate(65536);
            ch.read(counts, block);
            int counted = 0;
            for (long c = (ch.size() + 65535) >>> 16; c < 32768; c++) {
                counted += counts.getShort((int) c * 2) != 0 ? 1 : 0;
            }
            return counted;
        }
    }

    private static ByteBuffer pattern(int bytes, int seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i++) {
            b.put(i, (byte) (i * 31 + seed));
        }
        return b;
    }

    @Test
    void preflushReturnsReservedClustersAndWritesGoOn() throws IOException {
        QemuTools.require();
        Path image = dir.resolve("top.qcow2");
        BlockImages.createQcow2(image, 64 << 20, 65536, null, null);
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2))) {
            img.write(0, pattern(4096, 1));
            img.flush();
            // One cluster is linked, the rest of the batch reserved past the end (counted, unreferenced).
            assertTrue(countedPastEnd(image) > 0, "a write reserves a batch of clusters");
            img.preflush();
            assertEquals(0, countedPastEnd(image), "preflush returns the reserved clusters");
            img.write(8L << 20, pattern(65536, 2)); // a new batch: the image stays writable and active
            assertTrue(img.active());
        }
        QemuTools.assertClean(image);
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            ByteBuffer a = ByteBuffer.allocateDirect(4096);
            img.read(0, a);
            assertEquals(pattern(4096, 1), a.flip());
            ByteBuffer b = ByteBuffer.allocateDirect(65536);
            img.read(8L << 20, b);
            assertEquals(pattern(65536, 2), b.flip());
        }
    }

    @Test
    void flushSyncsOnlyAfterWrites() {
        Path file = dir.resolve("disk.raw");
        try (ImageFile f = ImageFile.createNew(file)) {
            assertFalse(f.unflushed(), "a new file has nothing to sync");
            f.write(0, pattern(4096, 3));
            assertTrue(f.unflushed());
            f.flush();
            assertFalse(f.unflushed(), "the flush made the write stable");
            f.flush();
            assertFalse(f.unflushed());
            f.write(4096, pattern(512, 4));
            assertTrue(f.unflushed(), "a later write needs the next flush");
            f.punchHole(0, 4096);
            f.flush();
            assertFalse(f.unflushed());
        }
    }
}
