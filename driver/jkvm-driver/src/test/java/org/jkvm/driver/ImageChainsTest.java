package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.domainxml.LiveXml;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backing chains read from images {@code qemu-img create -b} made: relative names, recorded and probed formats. */
class ImageChainsTest {
    @TempDir
    Path dir;

    private void qemuImg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Require.command("qemu-img").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    @Test
    void aThreeLevelChainWithRelativeNamesIsReadTopDown() throws Exception {
        Files.write(dir.resolve("base.raw"), new byte[1 << 20]);
        qemuImg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "mid.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2");
        assertEquals(List.of(new LiveXml.Backing("qcow2", dir.resolve("mid.qcow2").toString()),
                new LiveXml.Backing("raw", dir.resolve("base.raw").toString())),
                new ImageChains().below(dir.resolve("top.qcow2").toString(), "qcow2"));
        assertEquals(List.of(), new ImageChains().below(dir.resolve("base.raw").toString(), "raw"));
    }

    @Test
    void anUnrecordedFormatIsProbedAndAMissingImageLeavesTheChainUnknown() throws Exception {
        qemuImg("create", "-q", "-f", "qcow2", "base.qcow2", "1M");
        qemuImg("create", "-q", "-f", "qcow2", "-b", dir.resolve("base.qcow2").toString(), "-F", "qcow2", "t.qcow2");
        // A wrong recorded format shows that the record is what counts while it is there.
        qemuImg("rebase", "-q", "-u", "-b", "base.qcow2", "-F", "raw", "t.qcow2");
        assertEquals(List.of(new LiveXml.Backing("raw", dir.resolve("base.qcow2").toString())),
                new ImageChains().below(dir.resolve("t.qcow2").toString(), "qcow2"));
        // An image from an older qemu-img has no backing format extension (7.2 refuses to make one): turn the
        // extension into one of an unknown type, which readers skip; the format must then be probed.
        try (FileChannel ch = FileChannel.open(dir.resolve("t.qcow2"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(4096);
            ch.read(h, 0);
            int pos = h.getInt(100); // header_length: the extensions follow
            while (h.getInt(pos) != 0xe2792aca) {
                assertTrue(h.getInt(pos) != 0, "qemu-img wrote a backing format extension");
                pos += 8 + ((h.getInt(pos + 4) + 7) & ~7);
            }
            ch.write(ByteBuffer.allocate(4).putInt(0, 0x0badcafe), pos);
        }
        List<LiveXml.Backing> chain = new ImageChains().below(dir.resolve("t.qcow2").toString(), "qcow2");
        assertEquals(List.of(new LiveXml.Backing("qcow2", dir.resolve("base.qcow2").toString())), chain);
        Files.delete(dir.resolve("base.qcow2"));
        assertNull(new ImageChains().below(dir.resolve("t.qcow2").toString(), "qcow2"));
    }
}
