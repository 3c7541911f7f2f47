package org.jkvm.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A loopback TCP relay for one connection that inverts the lowest bit of the forward byte at {@code at}. */
final class FlipProxy implements AutoCloseable {
    private final ServerSocket listener;

    FlipProxy(int toPort, long at) throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> relay(toPort, at), "flip-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void relay(int toPort, long at) {
        try (Socket in = listener.accept(); Socket out = new Socket(InetAddress.getLoopbackAddress(), toPort)) {
            Thread back = new Thread(() -> copy(out, in, -1), "flip-proxy-return");
            back.setDaemon(true);
            back.start();
            copy(in, out, at);
            back.join(10_000);
        } catch (IOException | InterruptedException e) {
            // The migration's status tells the test what happened.
        }
    }

    private static void copy(Socket from, Socket to, long flipAt) {
        byte[] buf = new byte[32 << 10];
        long done = 0;
        try {
            InputStream is = from.getInputStream();
            OutputStream os = to.getOutputStream();
            for (int n; (n = is.read(buf)) > 0; done += n) {
                if (flipAt >= done && flipAt < done + n) {
                    buf[(int) (flipAt - done)] ^= 1;
                }
                os.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
