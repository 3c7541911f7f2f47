package org.jkvm.daemon.osgi;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

import org.jkvm.rpc.RpcServer;
import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon bundle: runs the RPC server on the listeners named by the framework properties
 * {@code jkvm.listen.unix} and {@code jkvm.listen.tcp} (comma-separated ADDR:PORT), finding drivers through a
 * {@link ServiceDriverRegistry}. Non-loopback TCP addresses are refused unless {@code jkvm.insecure.listen} is
 * {@code true}, and then logged as a warning.
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class DaemonActivator implements BundleActivator {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonActivator.class);

    private ServiceDriverRegistry registry;
    private RpcServer server;

    @Override
    public void start(BundleContext context) {
        registry = new ServiceDriverRegistry(context);
        server = new RpcServer(registry);
        try {
            String unix = context.getProperty("jkvm.listen.unix");
            if (unix != null && !unix.isBlank()) {
                server.listenUnix(Path.of(unix));
            }
            boolean insecure = Boolean.parseBoolean(context.getProperty("jkvm.insecure.listen"));
            String tcp = context.getProperty("jkvm.listen.tcp");
            if (tcp != null && !tcp.isBlank()) {
                for (String t : tcp.split(",")) {
                    InetSocketAddress a = address(t.trim());
                    if (!a.getAddress().isLoopbackAddress()) {
                        if (!insecure) {
                            throw new IllegalArgumentException("refusing to listen on " + t + " without TLS or "
                                    + "authentication; pass --insecure-listen to allow it");
                        }
                        LOG.warn("listening on non-loopback {} with no TLS and no authentication: anyone who can "
                                + "reach it controls every guest", t);
                    }
                    server.listenTcp(a);
                }
            }
        } catch (RuntimeException e) {
            stop(context);
            throw e;
        }
    }

    /** The running RPC server (null while the bundle is stopped). */
    public RpcServer server() {
        return server;
    }

    private static InetSocketAddress address(String t) {
        int colon = t.lastIndexOf(':');
        try {
            return new InetSocketAddress(InetAddress.getByName(t.substring(0, colon).replace("[", "")
                    .replace("]", "")), Integer.parseInt(t.substring(colon + 1)));
        } catch (UnknownHostException | RuntimeException e) {
            throw new IllegalArgumentException("jkvm.listen.tcp entry '" + t + "' is not ADDR:PORT", e);
        }
    }

    @Override
    public void stop(BundleContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }
}
