package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * jkvm's qcow2 against QEMU's tools: what jkvm writes, {@code qemu-img check} finds clean and {@code qemu-img compare}
 * finds equal to the expected bytes; what qemu-img and qemu-io write, jkvm reads byte for byte.
 */
class Qcow2InteropTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        QemuTools.require();
    }

    /** Random writes of random bytes: unaligned, across clusters and L2 tables, heap and direct buffers. */
    static void randomWrites(BlockImage img, ImageModel model, Random rnd, int count, int maxLen) {
        for (int i = 0; i < count; i++) {
            int len = 1 + rnd.nextInt(maxLen);
            long off = rnd.nextInt(model.bytes.length - len + 1);
            if (rnd.nextInt(4) == 0) {
                off &= ~4095L; // some aligned requests too: the direct path of O_DIRECT
                len = Math.max(4096, len & ~4095);
                len = (int) Math.min(len, model.bytes.length - off);
            }
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            ByteBuffer b = rnd.nextBoolean() ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
            b.put(data).flip();
            img.write(off, b);
            assertEquals(b.limit(), b.position(), "write consumed its buffer");
            model.put(off, data);
        }
    }

    @ParameterizedTest(name = "cluster {0}, refcount bits {1}, cache {2}")
    @CsvSource({"65536,16,writeback", "512,16,writeback", "4096,1,none", "2097152,64,writethrough", "4096,8,unsafe",
        "65536,2,directsync"})
    void jkvmWritesPassQemuImgCheckAndCompare(int cluster, int refcountBits, String cache) throws Exception {
        Path img = dir.resolve("t.qcow2");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=" + cluster + ",refcount_bits="
                + refcountBits, img.toString(), "24M");
        ImageModel model = new ImageModel(24 * MIB);
        Random rnd = new Random(cluster * 31L + refcountBits);
        OpenOptions o = OpenOptions.of(ImageFormat.QCOW2).withCache(CacheMode.parse(cache));
        try (BlockImage b = BlockImages.open(img, o)) {
            randomWrites(b, model, rnd, 300, 200_000);
            model.assertImage(b, 1 << 16, true);
            b.flush();
        }
        QemuTools.assertClean(img);
        QemuTools.assertSameContent(img, model.toRaw(dir.resolve("expected.raw")));
        try (BlockImage b = BlockImages.open(img, o.withReadOnly(true))) {
            model.assertImage(b, 3 * MIB + 7, false);
        }
    }

    /** The header's refcount_table_offset (big-endian u64 at byte 48). */
    static long refcountTable(Path img) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 48);
            return b.getLong(0);
        }
    }

    @Test
    void imagesJkvmCreatesAreWhatQemuCreates() throws Exception {
        Path base = dir.resolve("base.qcow2");
        BlockImages.createQcow2(base, 48 * MIB, 65536, null, null);
        QemuTools.assertClean(base);
        Path top = dir.resolve("top.qcow2");
        BlockImages.createQcow2(top, 48 * MIB, 4096, "base.qcow2", ImageFormat.QCOW2);
        QemuTools.assertClean(top);
        String info = QemuTools.run("qemu-img", "info", "--output=json", top.toString());
        assertTrue(info.contains("\"backing-filename\": \"base.qcow2\""), info);
        assertTrue(info.contains("\"backing-filename-format\": \"qcow2\""), info);
        assertTrue(info.contains("\"cluster-size\": 4096"), info);
        assertTrue(info.contains("\"virtual-size\": " + 48 * MIB), info);
        QemuTools.io(base, "qcow2", "write -P 0x5a 0 48M");
        ImageModel model = new ImageModel(48 * MIB);
        model.fill(0, 48 * MIB, 0x5a);
        try (BlockImage b = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2))) {
            assertEquals(ImageFormat.QCOW2, b.backing().orElseThrow().format());
            randomWrites(b, model, new Random(7), 200, 100_000);
        }
        QemuTools.assertClean(top);
        QemuTools.assertSameContent(top, model.toRaw(dir.resolve("expected.raw")));
        // A tiny cluster size and a big disk: the L1 table needs several clusters, the refcounts several blocks.
        Path small = dir.resolve("small.qcow2");
        BlockImages.createQcow2(small, 1L << 32, 512, null, null);
        QemuTools.assertClean(small);
    }

    @Test
    void threeLevelsOfBackingFilesWrittenByQemuIoReadByteForByte() throws Exception {
        Path base = dir.resolve("base.qcow2");
        Path mid = dir.resolve("mid.qcow2");
        Path top = dir.resolve("top.qcow2");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "16M");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", mid.toString());
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "mid.qcow2", "-F",
                "qcow2", top.toString());
        ImageModel model = new ImageModel(16 * MIB);
        Random rnd = new Random(3);
        Path[] levels = {base, mid, top};
        for (Path level : levels) {
            String[] cmds = new String[40];
            for (int i = 0; i < cmds.length; i++) {
                int len = 512 * (1 + rnd.nextInt(600));
                long off = 512L * rnd.nextInt(16 * MIB / 512 - len / 512);
                int p = 1 + rnd.nextInt(255);
                cmds[i] = "write -P " + p + " " + off + " " + len;
                model.fill(off, len, p);
            }
            QemuTools.io(level, "qcow2", cmds);
        }
        QemuTools.io(top, "qcow2", "write -z 1M 256k", "write -z 9M 64k");
        model.fill(MIB, 256 << 10, 0);
        model.fill(9 * MIB, 64 << 10, 0);
        try (BlockImage b = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            assertEquals(mid, b.backing().orElseThrow().path());
            model.assertImage(b, 1 << 16, false);
            model.assertImage(b, 12345, true);
        }
        // The chain seen through a raw base shorter than the overlay: past its end the disk reads zeros.
        Path raw = dir.resolve("short.raw");
        Files.write(raw, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        QemuTools.run("qemu-img", "resize", "-q", "-f", "raw", raw.toString(), "1000000");
        Path over = dir.resolve("over.qcow2");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", raw.toString(), "-F", "raw", over.toString(),
                "4M");
        try (BlockImage b = BlockImages.open(over, OpenOptions.of(ImageFormat.QCOW2))) {
            ByteBuffer buf = ByteBuffer.allocate(4 * MIB);
            b.read(0, buf);
            assertEquals(5, buf.get(4));
            for (int i = 8; i < buf.capacity(); i++) {
                assertEquals(0, buf.get(i), "byte " + i);
            }
            b.write(999_990, ImageModel.buffer(100, 0x77, false));
        }
        QemuTools.assertClean(over);
        QemuTools.io(over, "qcow2", "read -P 0 1000090 100000", "read -P 0x77 999990 100", "read -P 0 8 999982");
    }

    @Test
    void compressedAndVersion2ImagesAreReadAndCompressedClustersRewritten() throws Exception {
        Path src = dir.resolve("src.raw");
        ImageModel model = new ImageModel(8 * MIB);
        Random rnd = new Random(11);
        for (int i = 0; i < model.bytes.length; i += 4096) {
            model.fill(i, 4096, rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(256)); // compressible, some zero
        }
        model.toRaw(src);
        Path comp = dir.resolve("comp.qcow2");
        QemuTools.run("qemu-img", "convert", "-q", "-c", "-f", "raw", "-O", "qcow2", src.toString(), comp.toString());
        assertTrue(Files.size(comp) < 4 * MIB, "qemu-img compressed the image");
        Path v2 = dir.resolve("v2.qcow2");
        QemuTools.run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10", src.toString(),
                v2.toString());
        try (BlockImage b = BlockImages.open(v2, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            model.assertImage(b, 1 << 16, false);
        }
        try (BlockImage b = BlockImages.open(comp, OpenOptions.of(ImageFormat.QCOW2))) {
            model.assertImage(b, 5000, false);
            randomWrites(b, model, rnd, 100, 20_000);
            model.assertImage(b, 1 << 16, true);
        }
        QemuTools.assertClean(comp);
        QemuTools.assertSameContent(comp, model.toRaw(dir.resolve("expected.raw")));
    }

    @Test
    void smallClustersGrowTheRefcountTableAndStayClean() throws Exception {
        Path img = dir.resolve("grow.qcow2");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img.toString(), "64M");
        ImageModel model = new ImageModel(64 * MIB);
        long tableBefore = refcountTable(img);
        try (BlockImage b = BlockImages.open(img, OpenOptions.of(ImageFormat.QCOW2))) {
            // 512-byte clusters: a refcount block counts 256 clusters and the first table 64 blocks (8 MiB).
            randomWrites(b, model, new Random(5), 400, 100_000);
        }
        assertTrue(Files.size(img) > 16 * MIB, "the file outgrew the first refcount table: " + Files.size(img));
        assertTrue(refcountTable(img) != tableBefore, "the refcount table moved to a larger place");
        QemuTools.assertClean(img);
        QemuTools.assertSameContent(img, model.toRaw(dir.resolve("expected.raw")));
        String info = QemuTools.run("qemu-img", "check", img.toString());
        assertTrue(info.contains("No errors were found"), info);
    }
}
