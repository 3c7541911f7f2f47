package org.jkvm.rpc.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.spi.ConsoleStream;
import org.jkvm.remote.spi.StreamSink;
import org.jkvm.xdr.XdrWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's open console streams (libvirt stream framing, reference §9.1). Every packet of a stream carries the
 * opening call's program, version, procedure and serial, with type STREAM:
 * <pre>
 *  server -> client  CONTINUE + bytes     guest output (at most 262,120 bytes per packet)
 *  server -> client  CONTINUE, empty      end of output (EOF)
 *  client -> server  CONTINUE + bytes     keystrokes
 *  client -> server  OK, empty            finish (Ctrl-] in virsh)  -> server answers OK, empty
 *  client -> server  ERROR, empty         abort
 *  server -> client  ERROR + remote_error failure
 * </pre>
 * Output the driver produces before the OPEN_CONSOLE reply has gone out is held back until it has. Thread-safe.
 */
final class ConsoleStreams {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleStreams.class);
    /** libvirt peers send at most this many payload bytes per stream packet. */
    static final int PACKET_PAYLOAD_MAX = 262_120;

    private final Consumer<XdrWriter> sender;
    private final Map<Integer, Open> streams = new ConcurrentHashMap<>();

    private record Open(Sink sink, ConsoleStream console) {
    }

    ConsoleStreams(Consumer<XdrWriter> sender) {
        this.sender = sender;
    }

    /** A sink for the stream the call {@code call} is opening; it sends nothing until {@link #replied}. */
    Sink sink(MessageHeader call) {
        return new Sink(call);
    }

    /** The driver opened the console: packets for this serial now reach it. */
    void opened(Sink sink, ConsoleStream console) {
        streams.put(sink.call.serial(), new Open(sink, console));
    }

    /** The OPEN_CONSOLE reply went out: start sending output, or forget the stream when the call failed. */
    void replied(Sink sink, boolean ok) {
        if (ok && streams.containsKey(sink.call.serial())) {
            sink.start();
        } else {
            Open o = streams.remove(sink.call.serial());
            if (o != null) {
                closeQuietly(o.console());
            }
        }
    }

    /** A STREAM packet from the client; packets for unknown or finished streams are dropped. */
    void onPacket(MessageHeader h, ByteBuffer payload) {
        Open o = streams.get(h.serial());
        if (o == null || o.sink().call.procedure() != h.procedure()) {
            LOG.debug("dropping stray stream packet proc {} serial {}", h.procedure(), h.serial());
            return;
        }
        switch (h.status()) {
            case Programs.STATUS_CONTINUE -> {
                byte[] bytes = new byte[payload.remaining()];
                payload.get(bytes);
                if (bytes.length > 0) {
                    o.console().write(bytes);
                }
            }
            case Programs.STATUS_OK -> {
                streams.remove(h.serial());
                o.sink().finished();
                closeQuietly(o.console());
                sender.accept(Frames.frame(o.sink().header(Programs.STATUS_OK), null));
            }
            default -> {
                streams.remove(h.serial());
                o.sink().finished();
                closeQuietly(o.console());
            }
        }
    }

    /** The client went away: close every console. */
    void closeAll() {
        streams.values().forEach(o -> {
            o.sink().finished();
            closeQuietly(o.console());
        });
        streams.clear();
    }

    private static void closeQuietly(ConsoleStream c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            LOG.warn("closing a console stream failed: {}", e.toString());
        }
    }

    /** The server-to-client half of one stream. */
    final class Sink implements StreamSink {
        private final MessageHeader call;
        private final List<XdrWriter> held = new ArrayList<>();
        private boolean started;
        private boolean done;

        private Sink(MessageHeader call) {
            this.call = call;
        }

        MessageHeader header(int status) {
            return new MessageHeader(call.program(), call.version(), call.procedure(), Programs.TYPE_STREAM,
                    call.serial(), status);
        }

        @Override
        public void data(byte[] data, int offset, int length) {
            for (int off = offset; off < offset + length; off += PACKET_PAYLOAD_MAX) {
                int n = Math.min(PACKET_PAYLOAD_MAX, offset + length - off);
                int from = off;
                send(Frames.frame(header(Programs.STATUS_CONTINUE), w -> w.writeRaw(data, from, n)), false);
            }
        }

        @Override
        public void end() {
            send(Frames.frame(header(Programs.STATUS_CONTINUE), null), false);
        }

        @Override
        public void error(LibvirtError error) {
            streams.remove(call.serial());
            send(Frames.frame(header(Programs.STATUS_ERROR), w -> RemoteCodec.writeError(w, error)), true);
        }

        private synchronized void send(XdrWriter packet, boolean last) {
            if (done) {
                return;
            }
            done = last;
            if (started) {
                sender.accept(packet);
            } else {
                held.add(packet);
            }
        }

        synchronized void start() {
            started = true;
            held.forEach(sender);
            held.clear();
        }

        synchronized void finished() {
            done = true;
            held.clear();
        }
    }
}
