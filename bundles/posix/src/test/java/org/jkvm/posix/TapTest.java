package org.jkvm.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * Taps against the real kernel (root and /dev/net/tun; skipped without them): a created tap exists while open and
 * vanishes at close, a second open of a held tap is refused with one sentence, a waiting read is woken, a missing
 * bridge and a name that is not a tap are refused.
 */
class TapTest {
    private static String name(String suffix) {
        return "jkt" + ProcessHandle.current().pid() % 100000 + suffix;
    }

    private static void requireTun() {
        Require.root();
        Require.path(java.nio.file.Path.of("/dev/net/tun"), "taps need /dev/net/tun");
    }

    @Test
    void aCreatedTapLivesWhileOpenAndASecondOpenIsRefused() {
        requireTun();
        String n = name("a");
        try (Tap tap = Tap.open(n)) {
            assertTrue(tap.created());
            assertTrue(Tap.exists(n));
            PosixException e = assertThrows(PosixException.class, () -> Tap.open(n));
            assertTrue(e.getMessage().contains("held by another process"), e.getMessage());
            Tap.setUp(n);
            assertTrue(tap.write(ByteBuffer.allocateDirect(60).put(0, (byte) 0xff)));
        }
        assertFalse(Tap.exists(n));
    }

    @Test
    void aWaitingReadIsWokenAndReturnsMinusOne() throws Exception {
        requireTun();
        try (Tap tap = Tap.open(name("b"))) {
            AtomicInteger got = new AtomicInteger(0);
            Thread reader = new Thread(() -> got.set(tap.read(ByteBuffer.allocateDirect(2048))));
            reader.start();
            tap.wakeup();
            reader.join();
            assertEquals(-1, got.get());
        }
    }

    @Test
    void badBridgesAndNamesAreRefusedWithASentence() {
        requireTun();
        String n = name("c");
        try (Tap tap = Tap.open(n)) {
            PosixException e = assertThrows(PosixException.class, () -> Tap.enslave(n, "jknobr0"));
            assertEquals("bridge jknobr0 does not exist; create it (ip link add jknobr0 type bridge) or name an "
                    + "existing bridge", e.getMessage());
            PosixException notBridge = assertThrows(PosixException.class, () -> Tap.enslave(n, "lo"));
            assertTrue(notBridge.getMessage().startsWith("interface lo is not a bridge"), notBridge.getMessage());
        }
        PosixException lo = assertThrows(PosixException.class, () -> Tap.open("lo"));
        assertTrue(lo.getMessage().startsWith("interface lo exists and is not a tap"), lo.getMessage());
        PosixException bad = assertThrows(PosixException.class, () -> Tap.open("a/b"));
        assertTrue(bad.getMessage().contains("is not an interface name"), bad.getMessage());
    }
}
