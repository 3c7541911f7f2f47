package org.jkvm.daemon;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The daemon's options, from the command line and an optional config file (a properties file whose keys are the
 * option names without the leading dashes; command-line options win). Validated once by {@link #parse}.
 *
 * <p>Defaults: the state folder is {@code /var/lib/jkvm} when running as root, else
 * {@code ~/.local/state/jkvm}; the UNIX socket is {@code STATE/run/libvirt-sock} (mode 0600); TCP listens on
 * {@code 127.0.0.1:16509}; migration ports are 49152-49215; {@code qemu:///system} is served as an alias.
 *
 * @param stateDir         the state folder
 * @param listenUnix       the UNIX socket path, or null for none
 * @param listenTcp        TCP listen addresses (may be empty)
 * @param migrationFrom    first incoming-migration port
 * @param migrationTo      last incoming-migration port
 * @param migrationAddress the address advertised to migration sources, or null
 * @param qemuAlias        whether {@code qemu:} URIs are served
 * @param insecureListen   whether listening beyond loopback without TLS or authentication was asked for
 * @param engineCommand    the engine program and leading arguments
 * @param bundleDir        the folder of bundles to install
 * @param spareEngine      whether one engine process is kept started ahead of need (see docs/contracts.md)
 */
public record DaemonOptions(Path stateDir, Path listenUnix, List<InetSocketAddress> listenTcp, int migrationFrom,
                            int migrationTo, String migrationAddress, boolean qemuAlias, boolean insecureListen,
                            String engineCommand, Path bundleDir, boolean spareEngine) {
    /** The default TCP port (libvirt's). */
    public static final int DEFAULT_TCP_PORT = 16509;

    /** The usage text. */
    public static final String USAGE = String.join("\n",
            "usage: jkvmd [options]",
            "  --state-dir DIR           state folder (default /var/lib/jkvm as root, else ~/.local/state/jkvm)",
            "  --listen-unix PATH        UNIX socket, mode 0600 (default STATE/run/libvirt-sock; 'none' for none)",
            "  --listen-tcp ADDR:PORT    TCP listener, repeatable (default 127.0.0.1:16509; 'none' for none)",
            "  --insecure-listen         allow TCP listeners beyond loopback (no TLS, no authentication)",
            "  --migration-ports FROM-TO incoming migration ports (default 49152-49215)",
            "  --migration-address ADDR  address destinations advertise to sources",
            "  --no-qemu-alias           do not serve qemu:///system",
            "  --engine CMD              engine command (default: bin/jkvm-engine beside the daemon)",
            "  --no-spare-engine         start every engine when needed (default: keep one started ahead, so a",
            "                            migration's destination engine is ready within tens of milliseconds)",
            "  --bundles DIR             bundles to install (default: set by bin/jkvmd)",
            "  --config FILE             properties file with the same option names (e.g. state-dir=/srv/jkvm)",
            "  --help                    this text");

    /**
     * Parses the command line (and the config file it names).
     *
     * @throws IllegalArgumentException with a sentence naming the bad option and what to give instead
     */
    public static DaemonOptions parse(String[] args) {
        Map<String, List<String>> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; options start with --");
            }
            String key = a.substring(2);
            String value = "true";
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (takesValue(key)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option --" + key + " needs a value");
                }
                value = args[++i];
            } else if (!isFlag(key)) {
                throw new IllegalArgumentException("unknown option --" + key + "\n" + USAGE);
            }
            opts.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        if (opts.containsKey("config")) {
            Path file = Path.of(opts.get("config").get(0));
            for (Map.Entry<String, String> e : readConfig(file).entrySet()) {
                if (!takesValue(e.getKey()) && !isFlag(e.getKey())) {
                    throw new IllegalArgumentException("unknown setting '" + e.getKey() + "' in " + file);
                }
                opts.putIfAbsent(e.getKey(), List.of(e.getValue().split("\\s*,\\s*")));
            }
        }
        return build(opts);
    }

    private static boolean takesValue(String key) {
        return List.of("state-dir", "listen-unix", "listen-tcp", "migration-ports", "migration-address", "engine",
                "bundles", "config").contains(key);
    }

    private static boolean isFlag(String key) {
        return List.of("no-qemu-alias", "no-spare-engine", "insecure-listen", "help").contains(key);
    }

    private static Map<String, String> readConfig(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k.trim(), p.getProperty(k).trim()));
        return m;
    }

    private static DaemonOptions build(Map<String, List<String>> o) {
        Path state = o.containsKey("state-dir") ? Path.of(one(o, "state-dir")) : defaultStateDir();
        state = state.toAbsolutePath().normalize();
        String unix = o.containsKey("listen-unix") ? one(o, "listen-unix")
                : state.resolve("run/libvirt-sock").toString();
        List<InetSocketAddress> tcp = new ArrayList<>();
        for (String t : o.getOrDefault("listen-tcp", List.of("127.0.0.1:" + DEFAULT_TCP_PORT))) {
            if (!t.equals("none")) {
                tcp.add(address(t));
            }
        }
        boolean insecure = o.containsKey("insecure-listen") && !"false".equals(one(o, "insecure-listen"));
        for (InetSocketAddress a : tcp) {
            if (!a.getAddress().isLoopbackAddress() && !insecure) {
                throw new IllegalArgumentException("--listen-tcp " + a.getHostString() + ":" + a.getPort()
                        + " is not a loopback address; the daemon has no TLS or authentication, so add "
                        + "--insecure-listen to listen there anyway");
            }
        }
        int from = 49152;
        int to = 49215;
        if (o.containsKey("migration-ports")) {
            String p = one(o, "migration-ports");
            String[] parts = p.split("-");
            try {
                from = Integer.parseInt(parts[0].trim());
                to = Integer.parseInt(parts.length > 1 ? parts[1].trim() : parts[0].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--migration-ports '" + p + "' is not FROM-TO, e.g. 49152-49215");
            }
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("--migration-ports " + p + " is not a range within 1-65535");
            }
        }
        boolean alias = !(o.containsKey("no-qemu-alias") && !"false".equals(one(o, "no-qemu-alias")));
        return new DaemonOptions(state, unix.equals("none") ? null : Path.of(unix).toAbsolutePath(), List.copyOf(tcp),
                from, to, o.containsKey("migration-address") ? one(o, "migration-address") : null, alias, insecure,
                o.containsKey("engine") ? one(o, "engine") : null,
                o.containsKey("bundles") ? Path.of(one(o, "bundles")).toAbsolutePath() : null,
                !(o.containsKey("no-spare-engine") && !"false".equals(one(o, "no-spare-engine"))));
    }

    private static String one(Map<String, List<String>> o, String key) {
        List<String> v = o.get(key);
        return v.get(v.size() - 1);
    }

    /** {@code /var/lib/jkvm} for root, else {@code ~/.local/state/jkvm}. */
    public static Path defaultStateDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/jkvm");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "jkvm");
    }

    private static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen-tcp '" + text + "' is not ADDR:PORT, e.g. 127.0.0.1:16509");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen-tcp '" + text + "' has no port number; use ADDR:PORT");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--listen-tcp port " + port + " is outside 0-65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--listen-tcp host '" + host + "' cannot be resolved; give an IP "
                    + "address");
        }
    }

    /** The framework properties that carry these options to the bundles. */
    public Map<String, String> frameworkProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("jkvm.state.dir", stateDir.toString());
        if (listenUnix != null) {
            p.put("jkvm.listen.unix", listenUnix.toString());
        }
        p.put("jkvm.listen.tcp", String.join(",", listenTcp.stream()
                .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList()));
        p.put("jkvm.migration.ports", migrationFrom + "-" + migrationTo);
        if (migrationAddress != null) {
            p.put("jkvm.migration.address", migrationAddress);
        }
        p.put("jkvm.qemu.alias", Boolean.toString(qemuAlias));
        if (engineCommand != null) {
            p.put("jkvm.engine.command", engineCommand);
        }
        p.put("jkvm.engine.spare", Boolean.toString(spareEngine));
        return p;
    }
}
