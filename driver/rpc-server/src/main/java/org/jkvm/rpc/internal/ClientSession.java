package org.jkvm.rpc.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.Features;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.rpc.DriverRegistry;
import org.jkvm.rpc.RpcException;
import org.jkvm.xdr.XdrException;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: whichever pool thread holds its reading role frames incoming bytes, answers keepalive
 * PINGs at once and serves or hands out each CALL (see {@link #run()}); replies are written under a lock, in
 * whatever order the calls finish, and asynchronous packets go through an outbox.
 *
 * <p>Connection-level procedures (AUTH_LIST, CONNECT_OPEN/CLOSE, SUPPORTS_FEATURE, close and event callback
 * registration) are served here; everything else goes through {@link ProcedureTable} to the
 * {@link DriverConnection}. A framing error closes this connection only.
 */
public final class ClientSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);
    /** Calls of one connection running at once; the reader waits beyond this (back-pressure). */
    static final int MAX_IN_FLIGHT = 32;
    /** Asynchronous packets queued for one client before it is considered stuck. */
    static final int OUTBOX_MAX = 4096;

    private final ByteChannel channel;
    private final String peer;
    private final Executor workers;
    private final Runnable onClose;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Object writeLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final EventCallbacks events = new EventCallbacks(this::post);
    private final ConsoleStreams consoles = new ConsoleStreams(this::post);
    /** Asynchronous packets (events, console output, pings), written in order by a worker. */
    private final Queue<XdrWriter> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger outboxSize = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** The console a call on this thread opened, started once its reply is written. */
    private final ThreadLocal<ConsoleStreams.Sink> pendingConsole = new ThreadLocal<>();
    private final Keepalive keepalive;
    // Owned by whichever thread holds the reading role (handed over through the executor, which orders them).
    private final FrameDecoder decoder = new FrameDecoder();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private final List<Call> batch = new ArrayList<>();

    private final DriverBinding binding;

    /**
     * Creates the session; {@link #run()} serves it until the peer disconnects.
     *
     * @param channel  the connected socket, blocking mode
     * @param peer     a description of the peer for logs
     * @param registry where drivers are found
     * @param workers  runs calls
     * @param onClose  run once when the session ends
     * @param keepalive the keepalive settings and clock
     */
    public ClientSession(ByteChannel channel, String peer, DriverRegistry registry, Executor workers,
                         Runnable onClose, Keepalive.Settings keepalive) {
        this.keepalive = new Keepalive(keepalive);
        this.binding = new DriverBinding(registry, peer);
        this.channel = channel;
        this.peer = peer;
        this.workers = workers;
        this.onClose = onClose;
    }

    /**
     * Reads until at least one CALL is complete and serves the last call of the batch on this thread; other calls
     * of the batch go to workers. A quick read-only call (lookups, info, state, job info, ...) is served inline and
     * this thread goes on reading; before any other call the reading role is handed over to a pool thread
     * (leader/follower), so a long call never holds up the connection's other calls or its keepalive. Either way
     * the usual one-call-at-a-time client pays no thread hand-off on its critical path.
     */
    @Override
    public void run() {
        boolean handedOver = false;
        try {
            while (!closed.get() && !handedOver) {
                if (channel.read(readBuffer) < 0) {
                    break;
                }
                keepalive.received();
                readBuffer.flip();
                decoder.feed(readBuffer, this::onFrame);
                readBuffer.clear();
                if (!batch.isEmpty()) {
                    Call last = dispatchAllButLast();
                    if (!isQuick(last.header().procedure())) {
                        workers.execute(this);
                        handedOver = true;
                    }
                    serveCounted(last);
                }
            }
        } catch (RpcException e) {
            LOG.warn("client {}: {}", peer, e.getMessage());
        } catch (IOException e) {
            LOG.debug("client {}: read failed: {}", peer, e.toString());
        } catch (RejectedExecutionException e) {
            LOG.debug("client {}: server is stopping", peer);
        } catch (RuntimeException | Error e) {
            // Calls are answered in serve(); this is framing or header decoding, so the stream's state is unknown.
            LOG.error("client {}: closing the connection after an unexpected failure", peer, e);
        } finally {
            if (!handedOver) {
                close();
            }
        }
    }

    /** Read-only procedures the driver answers from memory; connection setup ones except CONNECT_OPEN. */
    private static boolean isQuick(int proc) {
        switch (proc) {
            case Procedures.AUTH_LIST, Procedures.CONNECT_SUPPORTS_FEATURE, Procedures.CONNECT_REGISTER_CLOSE_CALLBACK,
                    Procedures.CONNECT_UNREGISTER_CLOSE_CALLBACK -> {
                return true;
            }
            case Procedures.DOMAIN_OPEN_CONSOLE, Procedures.CONNECT_OPEN -> {
                return false;
            }
            default -> {
                Handler.Entry e = ProcedureTable.lookup(proc);
                return e == null || e.quick();
            }
        }
    }

    private Call dispatchAllButLast() {
        Call last = batch.remove(batch.size() - 1);
        for (Call c : batch) {
            inFlight.acquireUninterruptibly();
            try {
                workers.execute(() -> serveCounted(c));
            } catch (RejectedExecutionException e) {
                inFlight.release();
                throw e;
            }
        }
        batch.clear();
        // back-pressure: the reading role waits here while too many calls of this client are running
        inFlight.acquireUninterruptibly();
        return last;
    }

    private void serveCounted(Call c) {
        try {
            serve(c.header(), new XdrReader(c.args()));
        } finally {
            inFlight.release();
        }
    }

    /**
     * Called periodically by the server: pings a silent client that negotiated keepalive, and closes the
     * connection when it stayed silent for {@code count} pings (a peer that vanished without closing its socket).
     */
    public void keepaliveTick() {
        switch (keepalive.tick()) {
            case PING -> post(Frames.frame(MessageHeader.keepalive(Programs.KEEPALIVE_PING), null));
            case DEAD -> {
                LOG.warn("client {}: no answer to {} keepalive pings; closing the connection", peer,
                        keepalive.settings().count());
                close();
            }
            default -> {
            }
        }
    }

    /** Closes the socket and the driver connection; idempotent. */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("client {}: close failed: {}", peer, e.toString());
        }
        events.closeAll();
        consoles.closeAll();
        binding.close();
        onClose.run();
    }

    private void onFrame(ByteBuffer frame) {
        XdrReader r = new XdrReader(frame);
        MessageHeader h = MessageHeader.read(r);
        if (h.program() == Programs.KEEPALIVE) {
            // Keepalive never reaches the workers: a PING is answered at once, even while calls are queued.
            if (h.version() == Programs.VERSION && h.procedure() == Programs.KEEPALIVE_PING
                    && h.type() == Programs.TYPE_MESSAGE) {
                write(Frames.frame(MessageHeader.keepalive(Programs.KEEPALIVE_PONG), null));
            }
            return;
        }
        if (h.type() == Programs.TYPE_STREAM && h.program() == Programs.REMOTE) {
            consoles.onPacket(h, frame.slice(frame.position() + 24, frame.limit() - frame.position() - 24));
            return;
        }
        if (h.type() != Programs.TYPE_CALL) {
            // Stray STREAM or MESSAGE packets (e.g. after a stream ended) are dropped, as libvirtd does.
            LOG.debug("client {}: dropping packet type {} proc {}", peer, h.type(), h.procedure());
            return;
        }
        if (h.program() != Programs.REMOTE || h.version() != Programs.VERSION) {
            write(Frames.error(h, new LibvirtError(ErrorCodes.RPC, ErrorCodes.FROM_RPC, "cannot find program 0x"
                    + Integer.toHexString(h.program()) + " version " + h.version()
                    + "; this server serves program 0x20008086 version 1")));
            return;
        }
        batch.add(new Call(h, frame.slice(frame.position() + 24, frame.limit() - frame.position() - 24)));
    }

    /** A decoded CALL waiting to be served. */
    private record Call(MessageHeader header, ByteBuffer args) {
    }

    private void serve(MessageHeader call, XdrReader args) {
        LOG.trace("client {}: call proc {} serial {}", peer, call.procedure(), call.serial());
        XdrWriter reply;
        try {
            if (call.status() != Programs.STATUS_OK) {
                throw new LibvirtError(ErrorCodes.RPC, ErrorCodes.FROM_RPC, "call " + call.procedure()
                        + " has status " + call.status() + "; a CALL must carry status OK");
            }
            reply = Frames.frame(call.reply(Programs.STATUS_OK), w -> dispatch(call, args, w));
        } catch (LibvirtError e) {
            reply = Frames.error(call, e);
        } catch (XdrException e) {
            reply = Frames.error(call, e.encoding()
                    ? LibvirtError.internal("cannot encode the reply to procedure " + call.procedure() + ": "
                            + e.getMessage())
                    : new LibvirtError(ErrorCodes.RPC, ErrorCodes.FROM_RPC, "malformed arguments for procedure "
                            + call.procedure() + ": " + e.getMessage()));
        } catch (Throwable e) {
            // Anything else a procedure throws (a bug, StackOverflowError, OutOfMemoryError): the stack is unwound
            // by now, so the client gets VIR_ERR_INTERNAL_ERROR and this worker goes on serving.
            LOG.error("client {}: procedure {} failed", peer, call.procedure(), e);
            reply = Frames.error(call, LibvirtError.internal("procedure " + call.procedure()
                    + " failed unexpectedly (" + brief(e) + "); see the daemon log"));
        }
        if (reply.position() > Programs.FRAME_MAX) {
            reply = Frames.error(call, LibvirtError.internal("the reply to procedure " + call.procedure() + " is "
                    + reply.position() + " bytes, above libvirt's message limit of " + Programs.MESSAGE_MAX));
        }
        ConsoleStreams.Sink console = pendingConsole.get();
        pendingConsole.remove();
        write(reply);
        if (console != null) {
            consoles.replied(console, reply.buffer().getInt(24) == Programs.STATUS_OK);
        }
        LOG.trace("client {}: replied proc {} serial {}", peer, call.procedure(), call.serial());
    }

    /** The throwable's class and the start of its message: enough for the client, never an oversized reply. */
    private static String brief(Throwable e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getName();
        }
        return e.getClass().getName() + ": " + (m.length() > 200 ? m.substring(0, 200) + "..." : m);
    }

    private void dispatch(MessageHeader call, XdrReader args, XdrWriter ret) {
        int proc = call.procedure();
        switch (proc) {
            case Procedures.AUTH_LIST -> ret.writeArray(List.of(0), Programs.AUTH_TYPES_MAX, XdrWriter::writeInt);
            case Procedures.CONNECT_SUPPORTS_FEATURE -> ret.writeInt(supports(args.readInt("feature")) ? 1 : 0);
            case Procedures.CONNECT_OPEN -> {
                String name = RemoteCodec.readOptionalString(args, "name");
                binding.open(name == null ? "" : name, (args.readInt("flags") & 1) != 0);
            }
            case Procedures.CONNECT_CLOSE -> binding.close();
            case Procedures.CONNECT_REGISTER_CLOSE_CALLBACK, Procedures.CONNECT_UNREGISTER_CLOSE_CALLBACK ->
                    binding.current();
            case Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY -> {
                int eventId = args.readInt("eventID");
                DomainRef dom = RemoteCodec.readOptionalDomain(args);
                ret.writeInt(events.register(binding.current(), eventId, dom));
            }
            case Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY -> {
                binding.current();
                events.deregister(args.readInt("callbackID"));
            }
            case Procedures.DOMAIN_OPEN_CONSOLE -> openConsole(call, args);
            default -> {
                Handler.Entry e = ProcedureTable.lookup(proc);
                if (e == null) {
                    throw LibvirtError.unknownProcedure(proc);
                }
                DriverConnection c = binding.current();
                if (e.changes() && binding.isReadOnly()) {
                    throw LibvirtError.denied(e.name() + " is not allowed on a read-only connection");
                }
                e.handler().call(c, args, ret);
            }
        }
    }

    /** OPEN_CONSOLE (201): the reply is void; output follows as STREAM packets once the reply is out. */
    private void openConsole(MessageHeader call, XdrReader args) {
        DriverConnection c = binding.current();
        if (binding.isReadOnly()) {
            throw LibvirtError.denied("virDomainOpenConsole is not allowed on a read-only connection");
        }
        DomainRef dom = RemoteCodec.readDomain(args);
        String dev = RemoteCodec.readOptionalString(args, "dev_name");
        int flags = args.readInt("flags");
        ConsoleStreams.Sink sink = consoles.sink(call);
        consoles.opened(sink, c.openConsole(dom, dev, flags, sink));
        pendingConsole.set(sink);
    }

    private boolean supports(int feature) {
        if (feature == Features.PROGRAM_KEEPALIVE) {
            // As libvirtd: a client that asks for keepalive gets pinged when it falls silent.
            keepalive.enable();
        }
        return binding.isOpen() ? binding.current().supportsFeature(feature)
                : Features.defaultSupported(feature);
    }

    /**
     * Queues a packet that a driver or timer thread produced, so that thread never blocks on a client that does
     * not read; a worker writes the queue in order. A client that lets {@link #OUTBOX_MAX} packets pile up is
     * disconnected.
     */
    private void post(XdrWriter frame) {
        if (closed.get()) {
            return;
        }
        if (outboxSize.incrementAndGet() > OUTBOX_MAX) {
            LOG.warn("client {}: {} unsent event/stream packets; the client is not reading, closing the connection",
                    peer, OUTBOX_MAX);
            close();
            return;
        }
        outbox.add(frame);
        if (draining.compareAndSet(false, true)) {
            try {
                workers.execute(this::drain);
            } catch (RejectedExecutionException e) {
                draining.set(false);
            }
        }
    }

    private void drain() {
        do {
            XdrWriter f;
            while ((f = outbox.poll()) != null) {
                outboxSize.decrementAndGet();
                write(f);
            }
            draining.set(false);
        } while (!outbox.isEmpty() && draining.compareAndSet(false, true));
    }

    private void write(XdrWriter frame) {
        ByteBuffer b = frame.buffer().duplicate().flip();
        synchronized (writeLock) {
            try {
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            } catch (IOException e) {
                LOG.debug("client {}: write failed: {}", peer, e.toString());
                close();
            }
        }
    }
}
