package org.jkvm.driver;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.TypedParam;
import org.jkvm.rpc.RemoteClient;
import org.jkvm.rpc.RpcException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer-to-peer migration (libvirt-rpc reference section 7.7): inside the client's one Perform call, the source
 * daemon opens its own connection to the destination daemon and runs Begin, Prepare (remote), Perform, Finish
 * (remote) and Confirm, then answers the client with an empty cookie.
 */
final class PeerMigration {
    private static final Logger LOG = LoggerFactory.getLogger(PeerMigration.class);
    private static final int FEATURE_P2P = 4;
    private static final int FEATURE_PARAMS = 13;

    private final Migration migration;

    PeerMigration(Migration migration) {
        this.migration = migration;
    }

    /** Runs the whole migration of {@code d} to the daemon at {@code dconnUri}. */
    byte[] perform(Domain d, String dconnUri, List<TypedParam> params, int flags) {
        Migration.checkFlags(flags);
        Target t = target(dconnUri);
        try (RemoteClient dst = RemoteClient.connectTcp(t.address()).open(t.name(), false)) {
            if (!dst.supportsFeature(FEATURE_P2P) || !dst.supportsFeature(FEATURE_PARAMS)) {
                throw VirErrors.operationFailed("the destination " + dconnUri + " does not support peer-to-peer "
                        + "migration with parameters", null);
            }
            MigrationResults.Begin begin = migration.begin(d, params, flags & ~MigrationParams.CHANGE_PROTECTION);
            int destFlags = flags & ~(MigrationParams.ABORT_ON_ERROR | MigrationParams.AUTO_CONVERGE
                    | MigrationParams.CHANGE_PROTECTION | MigrationParams.PEER2PEER);
            if (d.state().state() == DomainState.PAUSED) {
                destFlags |= MigrationParams.PAUSED;
            }
            List<TypedParam> p = new ArrayList<>(params);
            if (TypedParam.string(p, MigrationParams.DEST_XML).isEmpty()) {
                p.add(new TypedParam.Str(MigrationParams.DEST_XML, begin.xml()));
            }
            if (TypedParam.string(p, MigrationParams.DEST_NAME).isEmpty()) {
                p.add(new TypedParam.Str(MigrationParams.DEST_NAME, d.name()));
            }
            MigrationResults.Prepare prep;
            try {
                prep = dst.migratePrepare3(p, begin.cookie(), destFlags);
            } catch (RuntimeException e) {
                migration.confirm(d, flags, true);
                throw e;
            }
            if (prep.uriOut() != null) {
                p.removeIf(x -> x.name().equals(MigrationParams.URI));
                p.add(new TypedParam.Str(MigrationParams.URI, prep.uriOut()));
            }
            try {
                migration.perform(d, p, flags);
            } catch (LibvirtError e) {
                cancelRemote(dst, p, destFlags);
                throw e;
            }
            boolean finished = false;
            try {
                dst.migrateFinish3(p, new byte[0], destFlags, false);
                finished = true;
            } finally {
                migration.confirm(d, flags, !finished);
            }
            LOG.info("peer-to-peer migration of {} to {} done", d.name(), dconnUri);
            return new byte[0];
        } catch (RpcException e) {
            throw VirErrors.operationFailed("peer-to-peer migration of '" + d.name() + "' to " + dconnUri
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static void cancelRemote(RemoteClient dst, List<TypedParam> p, int destFlags) {
        try {
            dst.migrateFinish3(p, new byte[0], destFlags, true);
        } catch (LibvirtError e) {
            if (e.code() != ErrorCodes.MIGRATE_FINISH_OK) {
                LOG.warn("the destination could not discard the cancelled migration: {}", e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("the destination could not discard the cancelled migration: {}", e.getMessage());
        }
    }

    /** Where a destination URI points, and the name to open there. */
    record Target(InetSocketAddress address, String name) {
    }

    /** Parses {@code jkvm+tcp://HOST[:PORT]/system} the way libvirt's client does. */
    static Target target(String dconnUri) {
        URI u;
        try {
            u = new URI(dconnUri);
        } catch (URISyntaxException e) {
            throw LibvirtError.invalidArg("destination URI '" + dconnUri + "' is malformed: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme();
        int plus = scheme.indexOf('+');
        String transport = plus < 0 ? "tcp" : scheme.substring(plus + 1);
        if (!transport.equals("tcp") || u.getHost() == null) {
            throw LibvirtError.argumentUnsupported("peer-to-peer migration needs a tcp destination URI such as "
                    + "jkvm+tcp://HOST/system, not '" + dconnUri + "'");
        }
        String base = plus < 0 ? scheme : scheme.substring(0, plus);
        String path = u.getPath() == null || u.getPath().isEmpty() ? "/system" : u.getPath();
        return new Target(new InetSocketAddress(u.getHost(), u.getPort() > 0 ? u.getPort() : 16509),
                base + "://" + path);
    }
}
