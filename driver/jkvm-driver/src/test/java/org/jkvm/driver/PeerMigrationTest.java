package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.junit.jupiter.api.Test;

class PeerMigrationTest {
    @Test
    void destinationUrisAreParsedAsLibvirtsClientDoes() {
        PeerMigration.Target t = PeerMigration.target("jkvm+tcp://127.0.0.9/system");
        assertEquals("127.0.0.9", t.address().getHostString());
        assertEquals(16509, t.address().getPort());
        assertEquals("jkvm:///system", t.name());
        PeerMigration.Target q = PeerMigration.target("qemu+tcp://127.0.0.3:16600/session");
        assertEquals(16600, q.address().getPort());
        assertEquals("qemu:///session", q.name());
        LibvirtError unix = assertThrows(LibvirtError.class, () -> PeerMigration.target("jkvm+unix:///system"));
        assertEquals(ErrorCodes.ARGUMENT_UNSUPPORTED, unix.code());
        LibvirtError bad = assertThrows(LibvirtError.class, () -> PeerMigration.target("jkvm+tcp://[bad/system"));
        assertEquals(ErrorCodes.INVALID_ARG, bad.code());
    }

    @Test
    void unsupportedFlagsAreNamed() {
        LibvirtError e = assertThrows(LibvirtError.class, () -> Migration.checkFlags(0x1 | 0x4 | 0x8000));
        assertEquals(ErrorCodes.ARGUMENT_UNSUPPORTED, e.code());
        assertEquals("argument unsupported: migration flags --tunnelled (VIR_MIGRATE_TUNNELLED), --postcopy "
                + "(VIR_MIGRATE_POSTCOPY) are not supported by jkvm, which migrates pre-copy and uncompressed over "
                + "plain tcp with shared storage; drop --tunnelled, --postcopy (or clear those flags in the API call) "
                + "and migrate again", e.getMessage());
        LibvirtError compressed = assertThrows(LibvirtError.class, () -> Migration.checkFlags(0x1 | 0x800));
        assertEquals("argument unsupported: migration flag --compressed (VIR_MIGRATE_COMPRESSED) is not supported by "
                + "jkvm, which migrates pre-copy and uncompressed over plain tcp with shared storage; drop "
                + "--compressed (or clear that flag in the API call) and migrate again", compressed.getMessage());
        LibvirtError unknown = assertThrows(LibvirtError.class, () -> Migration.checkFlags(1 << 30));
        assertTrue(unknown.getMessage().contains("migration flag 0x40000000 (unknown to jkvm) is not"),
                unknown.getMessage());
        Migration.checkFlags(0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x100 | 0x400 | 0x1000 | 0x2000);
    }
}
