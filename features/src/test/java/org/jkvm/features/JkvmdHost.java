package org.jkvm.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;

/**
 * {@code bin/jkvmd} as a process inside a network namespace: a host of its own, listening on its namespace
 * address at libvirt's port 16509 and advertising that address for incoming migrations. Its engines (children,
 * in the same namespace) listen there too. {@link #close} stops the daemon with SIGTERM and kills any engine it
 * left behind (their pid files), so the namespace can go away.
 */
final class JkvmdHost implements Host {
    private static final Duration READY = Duration.ofSeconds(60);

    private final Path state;
    private final String address;
    private final Process process;

    JkvmdHost(Path state, String netns, String address, String engine, int migrationPorts) {
        this.state = state;
        this.address = address;
        Daemon.bundles();
        List<String> cmd = new ArrayList<>(Netns.exec(netns));
        cmd.addAll(List.of(RepoPaths.of("bin", "jkvmd").toString(), "--state-dir", state.toString(),
                "--listen-unix", state.resolve("run/libvirt-sock").toString(),
                "--listen-tcp", address + ":16509", "--insecure-listen", "--migration-address", address,
                "--migration-ports", migrationPorts + "-" + (migrationPorts + 7), "--engine", engine));
        try {
            Files.createDirectories(state);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(log().toFile());
            pb.environment().put("JKVM_NO_BUILD", "1");
            process = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start jkvmd in namespace " + netns + ": " + e.getMessage(), e);
        }
        awaitReady();
    }

    private Path log() {
        return state.resolve("jkvmd.out");
    }

    private void awaitReady() {
        try {
            Await.until("jkvmd on " + address + " is ready", READY, () -> {
                String out = Files.readString(log(), StandardCharsets.UTF_8);
                if (!out.contains("jkvmd ready") && !process.isAlive()) {
                    throw new AssertionError("jkvmd on " + address + " exited " + process.exitValue() + ": " + out);
                }
                return out.contains("jkvmd ready");
            });
        } catch (AssertionError e) {
            close();
            throw e;
        }
    }

    @Override
    public Path state() {
        return state;
    }

    @Override
    public String tcpUri() {
        return "jkvm+tcp://" + address + "/system";
    }

    @Override
    public String unixUri() {
        return "jkvm+unix:///system?socket=" + state.resolve("run/libvirt-sock");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> pids = Files.list(state.resolve("run"))) {
            pids.filter(p -> p.toString().endsWith(".pid")).forEach(this::kill);
        } catch (IOException e) {
            // No run folder: no engines.
        }
    }

    /** Kills the engine a pid file names, if that process is still one of this host's (its command names the state). */
    private void kill(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
            ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains(state.toString()))
                    .ifPresent(h -> {
                h.destroyForcibly();
                h.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> h).join();
            });
        } catch (IOException | NumberFormatException e) {
            // Unreadable pid file: nothing to kill.
        }
    }
}
