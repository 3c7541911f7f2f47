package org.jkvm.domainxml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Facts about the host that {@link Capabilities} reports.
 *
 * @param uuid        the host UUID (from /etc/machine-id when present)
 * @param cpuVendor   the CPU vendor as libvirt names it ({@code Intel}, {@code AMD})
 * @param cpuFlags    CPU feature names from /proc/cpuinfo, in libvirt's spelling
 * @param cpus        the number of logical CPUs
 * @param memoryKiB   the host memory in KiB
 * @param engine      the engine launcher path reported as the emulator
 */
public record HostInfo(String uuid, String cpuVendor, List<String> cpuFlags, int cpus, long memoryKiB,
        String engine) {
    /** Copies the flag list. */
    public HostInfo {
        cpuFlags = List.copyOf(cpuFlags);
    }

    /** Reads /proc/cpuinfo, /proc/meminfo and /etc/machine-id; missing files give neutral values. */
    public static HostInfo probe(String engine) {
        String vendor = "unknown";
        List<String> flags = new ArrayList<>();
        int cpus = 0;
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            String[] kv = line.split(":", 2);
            String key = kv[0].strip();
            String value = kv.length > 1 ? kv[1].strip() : "";
            if (key.equals("processor")) {
                cpus++;
            } else if (key.equals("vendor_id") && cpus == 1) {
                vendor = value.contains("Intel") ? "Intel" : value.contains("AMD") ? "AMD" : value;
            } else if (key.equals("flags") && cpus == 1) {
                for (String f : value.split("\\s+")) {
                    if (!f.isEmpty()) {
                        flags.add(f.toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        long mem = 0;
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                mem = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        List<String> id = lines(Path.of("/etc/machine-id"));
        String uuid = id.isEmpty() || id.get(0).strip().length() != 32 ? "00000000-0000-0000-0000-000000000000"
                : Uuids.canonical("machine-id", id.get(0));
        return new HostInfo(uuid, vendor, flags, Math.max(cpus, 1), mem, engine);
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
