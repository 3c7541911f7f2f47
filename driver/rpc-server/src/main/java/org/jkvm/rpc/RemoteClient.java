package org.jkvm.rpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

import org.jkvm.remote.DomainInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.TypedParam;
import org.jkvm.rpc.internal.FrameDecoder;
import org.jkvm.rpc.internal.Frames;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/**
 * A minimal libvirt remote-protocol client: what a source daemon needs to drive Prepare and Finish on a
 * destination in peer-to-peer migration, and what tests and benchmarks use to talk to {@link RpcServer}.
 *
 * <p>Thread-safe: calls from several threads share the connection, each waiting for its own reply (matched by
 * serial). A reader thread answers the server's keepalive PINGs. A {@code remote_error} reply is thrown as the
 * {@link LibvirtError} it describes; a broken connection as {@link RpcException}.
 */
public final class RemoteClient implements AutoCloseable {
    private final SocketChannel channel;
    private final String peer;
    private final Map<Integer, CompletableFuture<ByteBuffer>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger serials = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong pingsAnswered = new AtomicLong();
    private final Object writeLock = new Object();
    private volatile boolean open;
    private volatile long callTimeoutMs;

    private RemoteClient(SocketChannel channel, String peer) {
        this.channel = channel;
        this.peer = peer;
        Thread reader = new Thread(this::readLoop, "jkvm-rpc-client-reader " + peer);
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects over TCP (no TLS, AUTH_NONE). */
    public static RemoteClient connectTcp(InetSocketAddress address) {
        try {
            SocketChannel ch = SocketChannel.open(address);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return new RemoteClient(ch, "tcp " + address);
        } catch (IOException e) {
            throw new RpcException("cannot connect to " + address + ": " + e.getMessage()
                    + "; check that the daemon is running and listening there", e);
        }
    }

    /** Connects to a UNIX socket. */
    public static RemoteClient connectUnix(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new RemoteClient(ch, "unix " + socket);
        } catch (IOException e) {
            throw new RpcException("cannot connect to " + socket + ": " + e.getMessage()
                    + "; check that the daemon is running and the socket path is right", e);
        }
    }

    /**
     * Connects to the endpoint of a libvirt URI and opens it, as a libvirt client would (e.g. the {@code dconnuri}
     * of a peer-to-peer migration).
     *
     * @param uri      e.g. {@code jkvm+tcp://10.0.0.2/system}
     * @param readOnly open read-only
     * @throws RpcException when the URI is malformed or the endpoint cannot be reached
     * @throws LibvirtError when the server refuses the connection
     */
    public static RemoteClient connect(String uri, boolean readOnly) {
        RemoteUri u = RemoteUri.parse(uri);
        RemoteClient c = "tcp".equals(u.transport()) ? connectTcp(new InetSocketAddress(u.host(), u.port()))
                : connectUnix(u.socket());
        try {
            return c.open(u.name(), readOnly);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Bounds how long each later call waits for its reply; 0 (the default) waits as long as the connection lives.
     * A call that times out fails with {@link RpcException}; its late reply is dropped.
     */
    public RemoteClient callTimeoutMs(long timeoutMs) {
        this.callTimeoutMs = Math.max(0, timeoutMs);
        return this;
    }

    /**
     * Makes one call on REMOTE_PROGRAM and waits for its reply.
     *
     * @param procedure the procedure number
     * @param args      writes the args (null for void)
     * @param ret       decodes the ret (null for void)
     * @return the decoded ret, or null for void
     * @throws LibvirtError the server's error
     * @throws RpcException when the connection breaks
     */
    public <T> T call(int procedure, Consumer<XdrWriter> args, Function<XdrReader, T> ret) {
        int serial = serials.getAndIncrement();
        CompletableFuture<ByteBuffer> reply = new CompletableFuture<>();
        pending.put(serial, reply);
        if (closed.get()) {
            pending.remove(serial);
            throw new RpcException("connection to " + peer + " is closed; reconnect to make calls");
        }
        send(Frames.frame(MessageHeader.call(procedure, serial), args));
        ByteBuffer frame;
        try {
            long timeout = callTimeoutMs;
            frame = timeout > 0 ? reply.get(timeout, TimeUnit.MILLISECONDS) : reply.get();
        } catch (TimeoutException e) {
            pending.remove(serial);
            throw new RpcException("no reply from " + peer + " to procedure " + procedure + " within " + callTimeoutMs
                    + " ms; the peer may be hung", e);
        } catch (InterruptedException e) {
            pending.remove(serial);
            Thread.currentThread().interrupt();
            throw new RpcException("interrupted while waiting for procedure " + procedure + " on " + peer, e);
        } catch (ExecutionException e) {
            throw new RpcException("connection to " + peer + " broke while waiting for procedure " + procedure,
                    e.getCause());
        }
        XdrReader r = new XdrReader(frame);
        MessageHeader h = MessageHeader.read(r);
        if (h.status() == Programs.STATUS_ERROR) {
            throw RemoteCodec.readError(r);
        }
        return ret == null ? null : ret.apply(r);
    }

    /** The handshake virsh does: AUTH_LIST, feature 10 (keepalive), CONNECT_OPEN with {@code uri}. */
    public RemoteClient open(String uri, boolean readOnly) {
        call(Procedures.AUTH_LIST, null, r -> r.readArray(Programs.AUTH_TYPES_MAX, x -> x.readInt("t"), "types"));
        supportsFeature(10);
        call(Procedures.CONNECT_OPEN, w -> w.writeOptionalString(uri, Programs.STRING_MAX).writeInt(readOnly ? 1 : 0),
                null);
        open = true;
        return this;
    }

    /** CONNECT_SUPPORTS_FEATURE. */
    public boolean supportsFeature(int feature) {
        return call(Procedures.CONNECT_SUPPORTS_FEATURE, w -> w.writeInt(feature), r -> r.readInt("supported")) != 0;
    }

    /** CONNECT_GET_VERSION. */
    public long version() {
        return call(Procedures.CONNECT_GET_VERSION, null, r -> r.readHyper("hv_ver"));
    }

    /** DOMAIN_LOOKUP_BY_NAME. */
    public DomainRef lookupByName(String name) {
        return call(Procedures.DOMAIN_LOOKUP_BY_NAME, w -> w.writeString(name, Programs.STRING_MAX),
                RemoteCodec::readDomain);
    }

    /** DOMAIN_GET_INFO. */
    public DomainInfo domainInfo(DomainRef dom) {
        return call(Procedures.DOMAIN_GET_INFO, w -> RemoteCodec.writeDomain(w, dom), RemoteCodec::readDomainInfo);
    }

    /** DOMAIN_MIGRATE_PREPARE3_PARAMS on the destination. */
    public MigrationResults.Prepare migratePrepare3(List<TypedParam> params, byte[] cookieIn, int flags) {
        return call(Procedures.DOMAIN_MIGRATE_PREPARE3_PARAMS, w -> {
            RemoteCodec.writeParams(w, params);
            RemoteCodec.writeCookie(w, cookieIn);
            w.writeInt(flags);
        }, r -> new MigrationResults.Prepare(RemoteCodec.readCookie(r), RemoteCodec.readOptionalString(r, "uri_out")));
    }

    /** DOMAIN_MIGRATE_FINISH3_PARAMS on the destination. */
    public MigrationResults.Finish migrateFinish3(List<TypedParam> params, byte[] cookieIn, int flags,
                                                  boolean cancelled) {
        return call(Procedures.DOMAIN_MIGRATE_FINISH3_PARAMS, w -> {
            RemoteCodec.writeParams(w, params);
            RemoteCodec.writeCookie(w, cookieIn);
            w.writeInt(flags).writeInt(cancelled ? 1 : 0);
        }, r -> new MigrationResults.Finish(RemoteCodec.readDomain(r), RemoteCodec.readCookie(r)));
    }

    private void send(XdrWriter frame) {
        ByteBuffer b = frame.buffer().duplicate().flip();
        synchronized (writeLock) {
            try {
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            } catch (IOException e) {
                close();
                throw new RpcException("cannot send to " + peer + ": " + e.getMessage(), e);
            }
        }
    }

    private void readLoop() {
        FrameDecoder decoder = new FrameDecoder();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        RuntimeException failure = null;
        try {
            while (channel.read(buf) >= 0) {
                buf.flip();
                decoder.feed(buf, this::onFrame);
                buf.clear();
            }
        } catch (IOException | RuntimeException e) {
            failure = new RpcException("connection to " + peer + " failed: " + e.getMessage(), e);
        }
        RpcException cause = new RpcException("connection to " + peer + " closed by the server", failure);
        closed.set(true);
        pending.values().forEach(f -> f.completeExceptionally(cause));
        pending.clear();
    }

    private void onFrame(ByteBuffer frame) {
        MessageHeader h = MessageHeader.read(new XdrReader(frame));
        if (h.program() == Programs.KEEPALIVE) {
            if (h.procedure() == Programs.KEEPALIVE_PING) {
                send(Frames.frame(MessageHeader.keepalive(Programs.KEEPALIVE_PONG), null));
                pingsAnswered.incrementAndGet();
            }
            return;
        }
        if (h.type() == Programs.TYPE_REPLY) {
            CompletableFuture<ByteBuffer> f = pending.remove(h.serial());
            if (f != null) {
                f.complete(frame);
            }
        }
    }

    /** The server's keepalive PINGs this client has answered so far. */
    public long pingsAnswered() {
        return pingsAnswered.get();
    }

    /** Sends CONNECT_CLOSE when open, then closes the socket; pending calls fail. */
    @Override
    public void close() {
        if (open && !closed.get()) {
            open = false;
            try {
                call(Procedures.CONNECT_CLOSE, null, null);
            } catch (RuntimeException e) {
                // closing anyway: the server may already be gone
            }
        }
        if (closed.compareAndSet(false, true)) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
