package org.jkvm.migration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A one-connection TCP proxy on loopback that flips one bit of the byte at {@code offset} going forward. */
final class CorruptingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final long offset;

    CorruptingProxy(int targetPort, long offset) throws IOException {
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.offset = offset;
        Thread t = new Thread(() -> serve(targetPort), "corrupting-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve(int targetPort) {
        try (Socket a = server.accept(); Socket b = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
            Thread back = new Thread(() -> pump(b, a, -1), "corrupting-proxy-back");
            back.setDaemon(true);
            back.start();
            pump(a, b, offset);
            back.join(5_000);
        } catch (IOException | InterruptedException e) {
            // The test sees the outcome through the migration's status.
        }
    }

    private static void pump(Socket from, Socket to, long corruptAt) {
        byte[] buf = new byte[64 << 10];
        long pos = 0;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                if (corruptAt >= pos && corruptAt < pos + n) {
                    buf[(int) (corruptAt - pos)] ^= 0x01;
                }
                pos += n;
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // Already closing.
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
