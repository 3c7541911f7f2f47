package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.remote.BlockInfo;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code virsh domblkinfo}'s sizes from the image files, by target or source path. */
class BlockInfosTest {
    @TempDir
    Path dir;

    private static String xml(Path qcow2, Path raw) {
        return "<domain type='qemu'><name>b</name><memory unit='MiB'>32</memory><os><type>hvm</type></os><devices>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + qcow2 + "'/>"
                + "<target dev='vda' bus='virtio'/></disk><disk type='file' device='disk'><source file='" + raw
                + "'/><target dev='vdb' bus='virtio'/></disk></devices></domain>";
    }

    @Test
    void capacityIsTheQcow2VirtualSizeAndTheRawFileSize() throws Exception {
        ByteBuffer header = ByteBuffer.allocate(4096).putInt(0, 0x514649fb).putInt(4, 3).putLong(24, 1L << 30);
        Path qcow2 = Files.write(dir.resolve("a.qcow2"), header.array());
        Path raw = Files.write(dir.resolve("b.img"), new byte[8192]);
        assertEquals(new BlockInfo(4096, 1L << 30, 4096), BlockInfos.of(xml(qcow2, raw), "vda"));
        assertEquals(new BlockInfo(8192, 8192, 8192), BlockInfos.of(xml(qcow2, raw), raw.toString()));
        LibvirtError e = assertThrows(LibvirtError.class, () -> BlockInfos.of(xml(qcow2, raw), "vdz"));
        assertEquals(ErrorCodes.INVALID_ARG, e.code());
        Files.write(qcow2, new byte[64]);
        LibvirtError notQcow2 = assertThrows(LibvirtError.class, () -> BlockInfos.of(xml(qcow2, raw), "vda"));
        assertTrue(notQcow2.getMessage().contains("is not a qcow2 image"), notQcow2.getMessage());
    }
}
