package org.jkvm.testkit;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Connecting to a server's unix socket (QEMU's or an engine's QMP, a console) that is still starting. */
public final class UnixSockets {
    private UnixSockets() {
    }

    /**
     * Connects to {@code socket}, waiting ({@link Await#PATIENCE}) until it exists and accepts: QEMU binds the socket,
     * so the file appears, a moment before it listens, and a connect in between is refused.
     *
     * @param socket the socket's path
     * @param what   who listens there, for the failure message (e.g. "QEMU's QMP socket")
     * @return the connected channel, in blocking mode; the caller closes it
     */
    public static SocketChannel connectWhenListening(Path socket, String what) {
        return Await.value(what + " " + socket + " accepts", () -> {
            if (!Files.exists(socket)) {
                return null;
            }
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                return c;
            } catch (ConnectException e) {
                c.close();
                return null;
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }, c -> c != null);
    }
}
