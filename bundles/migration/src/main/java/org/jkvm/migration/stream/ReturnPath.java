package org.jkvm.migration.stream;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The small messages the destination sends back ({@code u8 type, u16 length, UTF-8 text}) and the source's
 * handover byte. Blocking; one writer and one reader per direction.
 */
public final class ReturnPath {
    private ReturnPath() {
    }

    /** One return-path message. */
    public record Message(int type, String text) {
    }

    /** Writes one message. */
    public static void send(WritableByteChannel ch, int type, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(utf8.length, StreamFormat.MAX_RP_TEXT);
        ByteBuffer b = ByteBuffer.allocate(3 + len);
        b.put((byte) type).putShort((short) len).put(utf8, 0, len).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads one message.
     *
     * @throws EOFException when the peer closed the channel
     * @throws IOException  on an unknown type or an over-long text
     */
    public static Message receive(ReadableByteChannel ch) throws IOException {
        ByteBuffer head = readFully(ch, 3);
        int type = head.get() & 0xFF;
        int len = head.getShort() & 0xFFFF;
        if (type < StreamFormat.RP_CONFIG_OK || type > StreamFormat.RP_ROUND_DONE || len > StreamFormat.MAX_RP_TEXT) {
            throw new IOException("the destination sent an invalid return-path message (type " + type
                    + ", length " + len + ")");
        }
        ByteBuffer body = readFully(ch, len);
        return new Message(type, StandardCharsets.UTF_8.decode(body).toString());
    }

    /** Source: writes the handover byte. */
    public static void sendHandover(WritableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1).put((byte) StreamFormat.HANDOVER).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Destination: reads the handover byte; false when the source closed or sent anything else. */
    public static boolean receiveHandover(ReadableByteChannel ch) {
        try {
            return (readFully(ch, 1).get() & 0xFF) == StreamFormat.HANDOVER;
        } catch (IOException e) {
            return false;
        }
    }

    private static ByteBuffer readFully(ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("the connection closed");
            }
        }
        return b.flip();
    }
}
