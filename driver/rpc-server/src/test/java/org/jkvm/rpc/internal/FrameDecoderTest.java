package org.jkvm.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.rpc.RpcException;
import org.jkvm.xdr.XdrReader;
import org.junit.jupiter.api.Test;

/** Feeds the decoder captured frames split at every possible point, as Netty's EmbeddedChannel tests do. */
class FrameDecoderTest {
    /** AUTH_LIST call, then CONNECT_SUPPORTS_FEATURE(10), then CONNECT_OPEN "jkvm:///system" (Appendix A). */
    private static final byte[] STREAM = HexFormat.of().parseHex((
            "0000001c 20008086 00000001 00000042 00000000 00000000 00000000"
            + "00000020 20008086 00000001 0000003c 00000000 00000001 00000000 0000000a"
            + "00000038 20008086 00000001 00000001 00000000 00000002 00000000"
            + "00000001 0000000e 6a6b766d 3a2f2f2f 73797374 656d0000 00000000").replace(" ", ""));

    private static List<ByteBuffer> decode(byte[] bytes, int... cuts) {
        FrameDecoder d = new FrameDecoder();
        List<ByteBuffer> out = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            d.feed(ByteBuffer.wrap(bytes, from, cut - from), out::add);
            from = cut;
        }
        d.feed(ByteBuffer.wrap(bytes, from, bytes.length - from), out::add);
        assertTrue(d.idle());
        return out;
    }

    private static void checkFrames(List<ByteBuffer> frames) {
        assertEquals(3, frames.size());
        assertEquals(MessageHeader.call(Procedures.AUTH_LIST, 0), MessageHeader.read(new XdrReader(frames.get(0))));
        XdrReader feature = new XdrReader(frames.get(1));
        assertEquals(MessageHeader.call(Procedures.CONNECT_SUPPORTS_FEATURE, 1), MessageHeader.read(feature));
        assertEquals(10, feature.readInt("feature"));
        XdrReader open = new XdrReader(frames.get(2));
        assertEquals(Procedures.CONNECT_OPEN, MessageHeader.read(open).procedure());
        assertEquals("jkvm:///system", open.readOptionalString(100, "name"));
        assertEquals(0, open.readInt("flags"));
        open.expectEnd("open args");
    }

    @Test
    void wholeStreamAtOnce() {
        checkFrames(decode(STREAM));
    }

    @Test
    void splitAtEveryByte() {
        for (int cut = 1; cut < STREAM.length; cut++) {
            checkFrames(decode(STREAM, cut));
        }
    }

    @Test
    void oneByteAtATime() {
        int[] cuts = new int[STREAM.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        checkFrames(decode(STREAM, cuts));
    }

    @Test
    void lengthBelowHeaderIsRefused() {
        FrameDecoder d = new FrameDecoder();
        RpcException e = assertThrows(RpcException.class,
                () -> d.feed(ByteBuffer.wrap(new byte[] {0, 0, 0, 27}), f -> { }));
        assertTrue(e.getMessage().contains("27"), e.getMessage());
    }

    @Test
    void hugeLengthIsRefusedBeforeAllocating() {
        FrameDecoder d = new FrameDecoder();
        // 0xFFFFFFF0 would be a 4 GiB allocation; the decoder must refuse from the length word alone
        assertThrows(RpcException.class, () -> d.feed(ByteBuffer.wrap(HexFormat.of().parseHex("fffffff0")), f -> { }));
        FrameDecoder d2 = new FrameDecoder();
        ByteBuffer justOver = ByteBuffer.allocate(4).putInt(0, Programs.FRAME_MAX + 1);
        assertThrows(RpcException.class, () -> d2.feed(justOver, f -> { }));
    }

    @Test
    void largeFrameGrowsItsBufferAsBytesArrive() {
        int len = 300_000;
        ByteBuffer frame = ByteBuffer.allocate(len).putInt(len);
        for (int i = 4; i < len; i++) {
            frame.put((byte) i);
        }
        byte[] bytes = frame.array();
        FrameDecoder d = new FrameDecoder();
        List<ByteBuffer> out = new ArrayList<>();
        for (int off = 0; off < len; off += 7001) {
            d.feed(ByteBuffer.wrap(bytes, off, Math.min(7001, len - off)), out::add);
        }
        assertEquals(1, out.size());
        ByteBuffer f = out.get(0);
        assertEquals(len - 4, f.remaining());
        for (int i = 4; i < len; i++) {
            assertEquals((byte) i, f.get(i - 4));
        }
        assertTrue(d.idle());
    }

    @Test
    void frameContentIsExact() {
        List<ByteBuffer> frames = decode(STREAM, 5, 33);
        byte[] first = new byte[frames.get(0).remaining()];
        frames.get(0).get(first);
        byte[] expected = new byte[24];
        System.arraycopy(STREAM, 4, expected, 0, 24);
        assertArrayEquals(expected, first);
    }
}
