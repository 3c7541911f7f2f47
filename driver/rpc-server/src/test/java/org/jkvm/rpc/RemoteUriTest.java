package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The name a libvirt client sends for each URI form, as captured from virsh 9.0 (reference §1.1). */
class RemoteUriTest {
    @Test
    void tcpUrisDropTransportHostAndPort() {
        assertEquals(new RemoteUri("tcp", "127.0.0.1", 16510, null, "jkvm:///system"),
                RemoteUri.parse("jkvm+tcp://127.0.0.1:16510/system"));
        assertEquals("jkvm://", RemoteUri.parse("jkvm+tcp://127.0.0.1:16510").name());
        assertEquals("", RemoteUri.parse("remote+tcp://10.0.0.2/").name());
        assertEquals(16509, RemoteUri.parse("qemu+tcp://10.0.0.2/system").port());
        assertEquals("qemu:///system", RemoteUri.parse("qemu+tcp://10.0.0.2/system").name());
    }

    @Test
    void clientParametersAreNotForwarded() {
        RemoteUri u = RemoteUri.parse("jkvm+unix:///system?socket=/run/j.sock&no_verify=1&foo=bar");
        assertEquals(Path.of("/run/j.sock"), u.socket());
        assertEquals("jkvm:///system?foo=bar", u.name());
        assertEquals("XYZ", RemoteUri.parse("jkvm+tcp://h/system?name=XYZ").name());
        assertEquals(RemoteUri.DEFAULT_SOCKET, RemoteUri.parse("jkvm:///system").socket());
    }

    @Test
    void badUrisAreRefusedClearly() {
        assertThrows(RpcException.class, () -> RemoteUri.parse("jkvm+tls://h/system"));
        assertThrows(RpcException.class, () -> RemoteUri.parse("jkvm+tcp:///system"));
        assertThrows(RpcException.class, () -> RemoteUri.parse("no scheme"));
    }
}
