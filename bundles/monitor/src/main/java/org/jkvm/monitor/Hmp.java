package org.jkvm.monitor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import org.jkvm.engine.EngineControl;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.RunState;
import org.jkvm.engine.VcpuInfo;
import org.jkvm.hypervisor.Accelerator;

/**
 * The human monitor (HMP): one text command per line, one text answer, as QEMU's {@code -monitor} speaks.
 * A thin front end over {@link EngineControl}; also serves QMP's {@code human-monitor-command}. Commands may be
 * added by the wiring (e.g. {@code info migrate}) with {@link #register}. Thread-safe.
 */
public final class Hmp {
    /** The banner printed when a client connects. */
    public static final String BANNER = "jkvm %s monitor - type 'help' for more information";
    /** The prompt, QEMU's, so existing tools recognise it. */
    public static final String PROMPT = "(qemu) ";

    private final EngineControl engine;
    private final Map<String, Function<String, String>> commands = new LinkedHashMap<>();
    private final Map<String, String> help = new LinkedHashMap<>();

    /** @param engine the VM to control */
    public Hmp(EngineControl engine) {
        this.engine = engine;
        register("help", "help -- list the commands", a -> helpText());
        register("info status", "info status -- show the VM status", a -> status());
        register("info cpus", "info cpus -- show the vCPUs", a -> cpus());
        register("info kvm", "info kvm -- show KVM information", a -> "kvm support: "
                + (engine.accelerator() == Accelerator.KVM ? "enabled" : "disabled"));
        register("info version", "info version -- show the engine version", a -> engine.version() + " (jkvm)");
        register("info name", "info name -- show the VM name", a -> engine.config().name());
        register("info dirty-log", "info dirty-log -- pages dirtied since the last call (debug)",
                a -> "dirty pages: " + engine.debugDirtyPageCount());
        register("stop", "stop -- stop the vCPU", a -> run(engine::stop));
        register("cont", "cont|c -- start or resume the vCPU", a -> run(engine::cont));
        register("c", null, a -> run(engine::cont));
        register("system_reset", "system_reset -- reset the VM", a -> run(engine::systemReset));
        register("system_powerdown", "system_powerdown -- ask the guest to power down",
                a -> run(engine::systemPowerdown));
        register("quit", "quit|q -- end the VM and the engine", a -> "");
        register("q", null, a -> "");
    }

    /**
     * Adds a command.
     *
     * @param name    the command words, e.g. {@code "info migrate"}
     * @param usage   the help line, or null to hide it (aliases)
     * @param handler receives the rest of the line and returns the answer text
     */
    public synchronized void register(String name, String usage, Function<String, String> handler) {
        commands.put(name, handler);
        if (usage != null) {
            help.put(name, usage);
        }
    }

    /** Whether {@code line} is a quit command (the caller answers, then ends the VM). */
    public static boolean isQuit(String line) {
        String l = line.trim();
        return l.equals("quit") || l.equals("q");
    }

    /**
     * Runs one command line.
     *
     * @return the answer text (possibly empty), never null; errors are answered as text, not thrown
     */
    public String execute(String line) {
        String l = line.trim().replaceAll("\\s+", " ");
        if (l.isEmpty()) {
            return "";
        }
        Function<String, String> handler;
        String rest;
        synchronized (this) {
            String[] words = l.split(" ", 3);
            String two = words.length >= 2 ? words[0] + " " + words[1] : null;
            if (two != null && commands.containsKey(two)) {
                handler = commands.get(two);
                rest = words.length == 3 ? words[2] : "";
            } else if (commands.containsKey(words[0])) {
                handler = commands.get(words[0]);
                rest = l.substring(words[0].length()).trim();
            } else if (words[0].equals("info")) {
                return words.length == 1 ? "info: give a subcommand; see 'help'"
                        : "unknown info subcommand '" + words[1] + "'; see 'help'";
            } else {
                return "unknown command: '" + words[0] + "'";
            }
        }
        try {
            return handler.apply(rest);
        } catch (EngineException | MonitorException e) {
            return "Error: " + e.getMessage();
        }
    }

    private String status() {
        RunState s = engine.state();
        return "VM status: " + switch (s) {
            case RUNNING -> "running";
            case PAUSED -> "paused";
            default -> "paused (" + QmpWire.runState(s) + ")";
        };
    }

    /** QEMU's {@code info cpus} lines: {@code * CPU #0: pc=0x000000000010002a (halted) thread_id=1234}. */
    private String cpus() {
        StringBuilder b = new StringBuilder();
        for (VcpuInfo c : engine.cpus()) {
            b.append(c.index() == 0 ? '*' : ' ').append(" CPU #").append(c.index()).append(": pc=0x")
                    .append(String.format("%016x", c.rip())).append(c.halted() ? " (halted)" : "")
                    .append(" thread_id=").append(c.nativeThreadId()).append('\n');
        }
        return b.toString().stripTrailing();
    }

    private synchronized String helpText() {
        return String.join("\n", help.values());
    }

    private static String run(Runnable action) {
        action.run();
        return "";
    }
}
