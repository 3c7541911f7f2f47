package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        assertEquals("argument unsupported: migration flag(s) --tunnelled, --postcopy (0x8004) are not supported by "
                + "jkvm; it migrates live, pre-copy, over plain tcp with shared storage", e.getMessage());
        Migration.checkFlags(0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x100 | 0x400 | 0x1000 | 0x2000);
    }
}
