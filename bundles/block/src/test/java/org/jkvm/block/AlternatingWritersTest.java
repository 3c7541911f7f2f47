package org.jkvm.block;

import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jkvm and {@code qemu-io} take turns writing the top of a three-level backing chain (issue 14, acceptance 1), each
 * reading the other's metadata afresh, and a model follows every write: at the end jkvm reads the model back,
 * {@code qemu-img compare} agrees with it and {@code qemu-img check} finds the image clean.
 */
class AlternatingWritersTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void jkvmAndQemuIoWriteOneChainInTurn() throws Exception {
        QemuTools.require();
        Path base = dir.resolve("base.qcow2");
        Path mid = dir.resolve("mid.qcow2");
        Path top = dir.resolve("top.qcow2");
        ImageModel model = new ImageModel(8 * MIB);
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "8M");
        QemuTools.io(base, "qcow2", "write -P 0x11 0 8M");
        model.fill(0, 8 * MIB, 0x11);
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base.qcow2", "-F",
                "qcow2", mid.toString());
        QemuTools.io(mid, "qcow2", "write -P 0x22 1M 3M");
        model.fill(MIB, 3 * MIB, 0x22);
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top.toString());
        Random rnd = new Random(14);
        for (int round = 0; round < 12; round++) {
            if (round % 2 == 0) {
                try (BlockImage img = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)
                        .withCache(round % 4 == 0 ? CacheMode.WRITEBACK : CacheMode.NONE))) {
                    Qcow2InteropTest.randomWrites(img, model, rnd, 40, 100_000);
                }
            } else {
                String[] cmds = new String[10];
                for (int i = 0; i < cmds.length; i++) {
                    int len = 1 + rnd.nextInt(200_000);
                    int off = rnd.nextInt(8 * MIB - len + 1);
                    int pattern = 1 + rnd.nextInt(255);
                    cmds[i] = "write -P " + pattern + " " + off + " " + len;
                    model.fill(off, len, pattern);
                }
                QemuTools.io(top, "qcow2", cmds);
            }
        }
        try (BlockImage img = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            model.assertImage(img, 65536, false);
        }
        QemuTools.assertSameContent(top, model.toRaw(dir.resolve("expected.raw")));
        QemuTools.assertClean(top);
        QemuTools.assertClean(mid);
    }
}
