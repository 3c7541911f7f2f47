package org.jkvm.monitor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmConfig;

/**
 * {@code -daemonize} for a JVM, which cannot fork: the engine starts itself again in a new session
 * ({@code setsid}) without {@code -daemonize}, waits until the child says its monitors are ready, and exits 0; if
 * the child fails first, its error and exit status become the parent's.
 */
final class Daemon {
    private static final String CHILD_ENV = "JKVM_DAEMON_CHILD";
    private static final String READY = "jkvm-engine: ready";
    private static final long READY_TIMEOUT_S = 60;
    private static volatile List<String> originalArgs = List.of();

    private Daemon() {
    }

    /** Remembers the command line for {@link #relaunch}. */
    static void rememberArgs(List<String> args) {
        originalArgs = List.copyOf(args);
    }

    /** Whether this process is the detached child. */
    static boolean isChild() {
        return "1".equals(System.getenv(CHILD_ENV));
    }

    /** In the detached child: tells the parent that start-up succeeded. */
    static void signalReady() {
        if (isChild()) {
            System.out.println(READY);
            System.out.flush();
        }
    }

    /**
     * Starts the detached child and waits for it to be ready.
     *
     * @return 0 once the child is ready, else the child's exit status
     */
    static int relaunch(VmConfig config) {
        if (isChild()) {
            throw new IllegalStateException("relaunch called in the daemon child");
        }
        List<String> cmd = new ArrayList<>();
        for (String setsid : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
            if (new java.io.File(setsid).canExecute()) {
                cmd.add(setsid);
                break;
            }
        }
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        for (String a : originalArgs) {
            if (!a.equals("-daemonize") && !a.equals("--daemonize")) {
                cmd.add(a);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
                "/dev/null"))).redirectError(ProcessBuilder.Redirect.PIPE);
        pb.environment().put(CHILD_ENV, "1");
        try {
            Process p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals(READY)) {
                    return 0;
                }
            }
            if (!p.waitFor(READY_TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new EngineException("the detached engine did not start within " + READY_TIMEOUT_S + " s");
            }
            System.err.write(p.getErrorStream().readAllBytes());
            System.err.flush();
            return p.exitValue() == 0 ? 1 : p.exitValue();
        } catch (IOException e) {
            throw new EngineException("cannot start the detached engine: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while starting the detached engine", e);
        }
    }
}
