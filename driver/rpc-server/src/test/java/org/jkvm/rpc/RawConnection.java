package org.jkvm.rpc;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

import org.jkvm.remote.MessageHeader;
import org.jkvm.rpc.internal.Frames;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/** A raw socket to the server for tests that send hand-made bytes and read replies frame by frame. */
final class RawConnection implements AutoCloseable {
    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawConnection(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(MessageHeader h, java.util.function.Consumer<XdrWriter> body) throws IOException {
        send(Frames.frame(h, body).toByteArray());
    }

    /** The next whole frame including its length word. */
    byte[] readFrame() throws IOException {
        int len = in.readInt();
        byte[] frame = new byte[len];
        frame[0] = (byte) (len >>> 24);
        frame[1] = (byte) (len >>> 16);
        frame[2] = (byte) (len >>> 8);
        frame[3] = (byte) len;
        in.readFully(frame, 4, len - 4);
        return frame;
    }

    /** A reader over the next frame, positioned after the length word. */
    XdrReader readReply() throws IOException {
        XdrReader r = XdrReader.of(readFrame());
        r.readInt("len");
        return r;
    }

    /** True when the server has closed the connection (EOF within the socket timeout). */
    boolean closedByServer() throws IOException {
        InputStream s = socket.getInputStream();
        try {
            return s.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
