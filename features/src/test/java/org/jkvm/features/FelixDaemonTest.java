package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Collectors;

import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.rpc.RemoteClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/** Acceptance item 5: the daemon's Felix with every bundle ACTIVE, and the driver bundle stopped and started. */
class FelixDaemonTest {
    @TempDir
    Path dir;

    @Test
    void everyBundleIsActiveAndTheDriverCanComeAndGo() throws Exception {
        try (Daemon d = new Daemon(dir, "/bin/false")) {
            String notActive = d.bundlesInstalled().stream().filter(b -> b.getState() != Bundle.ACTIVE)
                    .map(b -> b.getSymbolicName() + " state " + b.getState()).collect(Collectors.joining(", "));
            assertEquals("", notActive, "bundles not ACTIVE");
            assertTrue(d.bundlesInstalled().size() >= 9, "framework, jkvm bundles and JAXB installed");
            Bundle driver = d.bundlesInstalled().stream().filter(b -> "org.jkvm.driver".equals(b.getSymbolicName()))
                    .findFirst().orElseThrow();

            try (RemoteClient c = RemoteClient.connectUnix(d.socket).open("jkvm:///system", false)) {
                assertEquals(1000L, c.version());
                driver.stop();
                LibvirtError e = assertThrows(LibvirtError.class, c::version);
                assertEquals(ErrorCodes.NO_CONNECT, e.code());
                assertTrue(e.getMessage().contains("no connection driver available"), e.getMessage());
                LibvirtError open = assertThrows(LibvirtError.class,
                        () -> RemoteClient.connectUnix(d.socket).open("jkvm:///system", false));
                assertTrue(open.getMessage().contains("jkvm driver bundle is started"), open.getMessage());
                driver.start();
                assertEquals(1000L, c.version(), "the same connection works again");
            }
            try (RemoteClient c = RemoteClient.connectUnix(d.socket).open("qemu:///system", false)) {
                assertEquals(1000L, c.version(), "the qemu alias is served");
            }
        }
    }
}
