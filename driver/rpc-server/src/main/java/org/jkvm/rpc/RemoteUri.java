package org.jkvm.rpc;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A libvirt remote URI, split the way libvirt's client splits it (reference §1.1): the transport and endpoint to
 * connect to, and the connection name to send in CONNECT_OPEN.
 *
 * <p>{@code jkvm+tcp://10.0.0.2:16509/system} connects over TCP to 10.0.0.2:16509 and opens
 * {@code jkvm:///system}; the port defaults to 16509. {@code jkvm+unix:///system?socket=/run/x.sock} connects to
 * that socket (default {@code /var/run/libvirt/libvirt-sock}). Client-only query parameters ({@code socket},
 * {@code name}, {@code no_verify}, ...) are not forwarded; {@code ?name=X} replaces the name.
 *
 * @param transport "tcp" or "unix"
 * @param host      the TCP host (null for unix)
 * @param port      the TCP port (0 for unix)
 * @param socket    the UNIX socket path (null for tcp)
 * @param name      the connection name for CONNECT_OPEN
 */
public record RemoteUri(String transport, String host, int port, Path socket, String name) {
    /** libvirtd's plain TCP port. */
    public static final int DEFAULT_TCP_PORT = 16509;
    /** libvirtd's default UNIX socket. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/libvirt/libvirt-sock");
    private static final Set<String> CLIENT_PARAMS = Set.of("name", "command", "socket", "auth", "sshauth",
            "netcat", "keyfile", "pkipath", "known_hosts", "known_hosts_verify", "tls_priority", "mode", "proxy",
            "no_sanity", "no_verify", "no_tty", "authfile");

    /**
     * Parses a URI such as {@code jkvm+tcp://host:port/system}.
     *
     * @throws RpcException when the URI is malformed or its transport is neither tcp nor unix
     */
    public static RemoteUri parse(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw new RpcException("malformed connection URI '" + text + "': " + e.getMessage(), e);
        }
        String scheme = u.getScheme();
        if (scheme == null) {
            throw new RpcException("connection URI '" + text + "' has no scheme; use e.g. jkvm+tcp://HOST/system");
        }
        int plus = scheme.indexOf('+');
        String driver = plus < 0 ? scheme : scheme.substring(0, plus);
        String transport = plus < 0 ? (u.getHost() == null ? "unix" : "tcp") : scheme.substring(plus + 1);
        List<String> kept = new ArrayList<>();
        String nameOverride = null;
        Path socket = null;
        if (u.getRawQuery() != null) {
            for (String kv : u.getRawQuery().split("&")) {
                String key = kv.contains("=") ? kv.substring(0, kv.indexOf('=')) : kv;
                String value = kv.contains("=") ? kv.substring(kv.indexOf('=') + 1) : "";
                if ("name".equals(key)) {
                    nameOverride = value;
                } else if ("socket".equals(key)) {
                    socket = Path.of(value);
                } else if (!CLIENT_PARAMS.contains(key)) {
                    kept.add(kv);
                }
            }
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        String query = kept.isEmpty() ? "" : "?" + String.join("&", kept);
        String rebuilt = "remote".equals(driver) ? "" : driver + "://" + path + query;
        String name = nameOverride != null ? nameOverride : rebuilt;
        return switch (transport) {
            case "tcp" -> {
                if (u.getHost() == null) {
                    throw new RpcException("connection URI '" + text
                            + "' has no host; use e.g. jkvm+tcp://HOST/system");
                }
                int port = u.getPort() < 0 ? DEFAULT_TCP_PORT : u.getPort();
                yield new RemoteUri("tcp", u.getHost(), port, null, name);
            }
            case "unix" -> new RemoteUri("unix", null, 0, socket == null ? DEFAULT_SOCKET : socket, name);
            default -> throw new RpcException("connection URI '" + text + "' uses transport '" + transport
                    + "', which jkvm does not speak; use +tcp or +unix");
        };
    }
}
