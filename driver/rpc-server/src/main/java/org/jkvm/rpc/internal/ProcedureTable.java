package org.jkvm.rpc.internal;

import java.util.Set;

import org.jkvm.remote.Procedures;
import org.jkvm.rpc.internal.Handler.Entry;

/**
 * The REMOTE_PROGRAM procedures served through a {@link org.jkvm.remote.spi.DriverConnection}, indexed by number.
 *
 * <p>Connection-level procedures (AUTH_LIST, CONNECT_OPEN, CONNECT_SUPPORTS_FEATURE, ...) are handled by the
 * session itself. A number with no entry is answered as libvirtd answers an unknown procedure.
 */
public final class ProcedureTable {
    private static final int SIZE = 512;
    /** Read-only procedures that may take a while (they build large documents). */
    private static final Set<Integer> SLOW_READS = Set.of(Procedures.CONNECT_GET_CAPABILITIES,
            Procedures.CONNECT_GET_DOMAIN_CAPABILITIES);
    private static final Entry[] TABLE = build();

    private ProcedureTable() {
    }

    private static Entry[] build() {
        Entry[] t = new Entry[SIZE];
        DomainProcedures.register(t);
        MigrationProcedures.register(t);
        return t;
    }

    /** The entry for {@code procedure}, or null when we do not serve it. */
    public static Entry lookup(int procedure) {
        return procedure >= 0 && procedure < SIZE ? TABLE[procedure] : null;
    }

    static void put(Entry[] t, int proc, String name, boolean changes, Handler h) {
        if (t[proc] != null) {
            throw new IllegalStateException("procedure " + proc + " registered twice");
        }
        t[proc] = new Entry(name, changes, !changes && !SLOW_READS.contains(proc), h);
    }
}
