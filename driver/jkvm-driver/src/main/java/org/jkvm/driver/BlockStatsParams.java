package org.jkvm.driver;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.DiskMapping;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.driver.qmp.BlockStatsInfo;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.TypedParam;

/**
 * {@code virsh domblkstat}: the engine's {@code query-blockstats} counters as libvirt's typed parameters
 * (virDomainBlockStatsFlags, VIR_DOMAIN_BLOCK_STATS_*), all LLONG, in the order libvirt's QEMU driver gives them.
 * A disk is named by its target ({@code vda}) or its source file; an empty name sums every disk, as libvirt does.
 * The n-th disk of the domain XML is the engine's drive {@code drive-virtio-disk<n>} ({@link DiskMapping}).
 * Thread-safe (stateless).
 */
final class BlockStatsParams {
    /** libvirt's field name and QEMU's counter, in libvirt's order. */
    private static final String[][] FIELDS = {
        {"wr_bytes", "wr_bytes"},
        {"wr_operations", "wr_operations"},
        {"rd_bytes", "rd_bytes"},
        {"rd_operations", "rd_operations"},
        {"flush_operations", "flush_operations"},
        {"wr_total_times", "wr_total_time_ns"},
        {"rd_total_times", "rd_total_time_ns"},
        {"flush_total_times", "flush_total_time_ns"},
    };

    private BlockStatsParams() {
    }

    /** How many parameters {@link #of} gives (what a caller asking with nparams = 0 learns). */
    static int count() {
        return FIELDS.length;
    }

    /**
     * The counters of the disk {@code path} of the domain whose live XML is {@code xml}.
     *
     * @throws LibvirtError INVALID_ARG when no disk has that target or source file
     */
    static List<TypedParam> of(String xml, String path, List<BlockStatsInfo> engine) {
        Set<String> drives = drives(xml, path);
        long[] sums = new long[FIELDS.length];
        for (BlockStatsInfo b : engine) {
            if (drives.contains(b.device())) {
                for (int i = 0; i < FIELDS.length; i++) {
                    sums[i] += b.get(FIELDS[i][1]);
                }
            }
        }
        List<TypedParam> out = new ArrayList<>(FIELDS.length);
        for (int i = 0; i < FIELDS.length; i++) {
            out.add(new TypedParam.LLong(FIELDS[i][0], sums[i]));
        }
        return out;
    }

    private static Set<String> drives(String xml, String path) {
        List<Disk> disks = DomainXml.parse(xml).devices(Disk.class);
        Set<String> ids = new HashSet<>();
        for (int n = 0; n < disks.size(); n++) {
            Disk d = disks.get(n);
            String file = d.source == null ? null : d.source.file;
            if (path.isEmpty() || path.equals(DiskMapping.target(d)) || path.equals(file)) {
                ids.add(DiskMapping.driveId(n));
            }
        }
        if (ids.isEmpty() && !path.isEmpty()) {
            throw LibvirtError.invalidArg("invalid path: " + path + " is not a disk of the domain; name a disk by"
                    + " its target (virsh domblklist shows them) or its source file");
        }
        return ids;
    }
}
