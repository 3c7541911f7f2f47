package org.jkvm.driver;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jkvm.remote.NodeInfo;

/** Facts about the daemon's host for {@code virsh nodeinfo} and {@code virsh hostname}, read from /proc. */
final class HostInfo {
    private HostInfo() {
    }

    /** NODE_GET_INFO: architecture, memory (KiB), CPUs and their speed (MHz). */
    static NodeInfo nodeInfo() {
        int cpus = Runtime.getRuntime().availableProcessors();
        long memKiB = 0;
        int mhz = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memKiB = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            memKiB = Runtime.getRuntime().maxMemory() / 1024;
        }
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("cpu MHz")) {
                    mhz = (int) Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            mhz = 0;
        }
        return new NodeInfo(System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"),
                memKiB, cpus, mhz, 1, 1, cpus, 1);
    }

    /** CONNECT_GET_HOSTNAME. */
    static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h != null ? h : "localhost";
        }
    }
}
