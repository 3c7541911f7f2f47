package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.jkvm.driver.qmp.BlockStatsInfo;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.TypedParam;
import org.junit.jupiter.api.Test;

/** {@code virsh domblkstat}'s typed parameters from the engine's {@code query-blockstats}, per disk or summed. */
class BlockStatsParamsTest {
    private static final String XML = "<domain type='qemu'><name>b</name><memory unit='MiB'>32</memory><os><type>hvm"
            + "</type></os><devices><disk type='file' device='disk'><source file='/i/a.qcow2'/><target dev='vda'"
            + " bus='virtio'/></disk><disk type='file' device='disk'><source file='/i/b.raw'/><target dev='vdb'"
            + " bus='virtio'/></disk></devices></domain>";
    private static final List<BlockStatsInfo> ENGINE = List.of(
            new BlockStatsInfo("drive-virtio-disk0", Map.of("rd_operations", 3L, "rd_bytes", 1536L,
                    "wr_operations", 7L, "wr_bytes", 28672L, "flush_operations", 2L, "rd_total_time_ns", 30L,
                    "wr_total_time_ns", 700L, "flush_total_time_ns", 90L)),
            new BlockStatsInfo("drive-virtio-disk1", Map.of("rd_operations", 1L, "rd_bytes", 512L,
                    "wr_operations", 1L, "wr_bytes", 4096L)));

    private static List<TypedParam> expected(long... v) {
        String[] names = {"wr_bytes", "wr_operations", "rd_bytes", "rd_operations", "flush_operations",
            "wr_total_times", "rd_total_times", "flush_total_times"};
        List<TypedParam> l = new java.util.ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            l.add(new TypedParam.LLong(names[i], v[i]));
        }
        return l;
    }

    @Test
    void aDiskByTargetOrSourceGetsItsDrivesCountersInLibvirtsOrder() {
        List<TypedParam> vda = expected(28672, 7, 1536, 3, 2, 700, 30, 90);
        assertEquals(vda, BlockStatsParams.of(XML, "vda", ENGINE));
        assertEquals(vda, BlockStatsParams.of(XML, "/i/a.qcow2", ENGINE));
        assertEquals(expected(4096, 1, 512, 1, 0, 0, 0, 0), BlockStatsParams.of(XML, "vdb", ENGINE));
        assertEquals(BlockStatsParams.count(), vda.size());
    }

    @Test
    void anEmptyPathSumsEveryDiskAndAnUnknownOneIsAnInvalidArgument() {
        assertEquals(expected(32768, 8, 2048, 4, 2, 700, 30, 90), BlockStatsParams.of(XML, "", ENGINE));
        LibvirtError e = assertThrows(LibvirtError.class, () -> BlockStatsParams.of(XML, "vdz", ENGINE));
        assertEquals(ErrorCodes.INVALID_ARG, e.code());
    }
}
