package org.jkvm.migration.stream;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The source's reader of the return path, on its own daemon thread, so the sending thread notices at once (between
 * two records) that the destination failed or went away. The end of the channel becomes a {@link #CLOSED}
 * message.
 */
public final class ReturnPathReader {
    /** The pseudo message type for "the connection ended or failed". */
    public static final int CLOSED = -1;

    private final BlockingQueue<ReturnPath.Message> queue = new LinkedBlockingQueue<>();
    private final Runnable onMessage;
    private volatile Runnable onLoaded;
    private final Object roundLock = new Object();
    private int roundsDone = -1;

    /**
     * @param channel   the return path
     * @param onMessage called on the reader thread after a message other than CONFIG_OK is queued, or the
     *                  channel ended (to wake a rate-limited sender)
     */
    public ReturnPathReader(ReadableByteChannel channel, Runnable onMessage) {
        this(channel, onMessage, () -> { });
    }

    /**
     * @param channel   the return path
     * @param onMessage called on the reader thread after a message other than CONFIG_OK is queued, or the
     *                  channel ended (to wake a rate-limited sender)
     * @param onStart   called first on the reader thread (the source raises its priority there: LOADED's
     *                  wake-up comes inside the guest's downtime)
     */
    public ReturnPathReader(ReadableByteChannel channel, Runnable onMessage, Runnable onStart) {
        this.onMessage = onMessage;
        Thread t = new Thread(() -> {
            onStart.run();
            run(channel);
        }, "migration-return-path");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Runs {@code hook} on the reader thread when LOADED arrives, before the message is queued for {@link #next}
     * (the source's handover: one thread wake-up less inside the guest's downtime). Set it before LOADED can come.
     */
    public void onLoaded(Runnable hook) {
        onLoaded = hook;
    }

    /** Whether a message is waiting (before the final acknowledgement, any message means failure). */
    public boolean hasMessage() {
        return !queue.isEmpty();
    }

    /**
     * Waits until the destination reports it has loaded round {@code round} (ROUND_DONE), or {@code timeoutMs}
     * passed, or the connection ended.
     *
     * @return whether the round was reported in time
     */
    public boolean awaitRound(int round, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        synchronized (roundLock) {
            while (roundsDone < round && !hasMessage()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(roundLock, left);
            }
            return roundsDone >= round;
        }
    }

    /** The next message, waiting up to {@code timeoutMs}; null on timeout. */
    public ReturnPath.Message next(long timeoutMs) throws InterruptedException {
        return queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** A sentence for a message that ends the migration (REFUSED, FAILED, CLOSED), for the source's error. */
    public static String describe(ReturnPath.Message m, String uri) {
        return switch (m.type()) {
            case StreamFormat.RP_REFUSED -> "the destination refused the migration: " + m.text();
            case StreamFormat.RP_FAILED -> "the destination failed: " + m.text();
            case CLOSED -> "the connection to the destination " + uri + " was lost (" + m.text() + ")";
            default -> "the destination sent an unexpected reply (type " + m.type() + ")";
        };
    }

    private void roundDone(String text) throws IOException {
        int round;
        try {
            round = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IOException("the destination sent ROUND_DONE with '" + text + "' instead of a round number");
        }
        synchronized (roundLock) {
            roundsDone = Math.max(roundsDone, round);
            roundLock.notifyAll();
        }
    }

    private void wakeRoundWaiters() {
        synchronized (roundLock) {
            roundLock.notifyAll();
        }
    }

    private void run(ReadableByteChannel channel) {
        try {
            while (true) {
                ReturnPath.Message m = ReturnPath.receive(channel);
                if (m.type() == StreamFormat.RP_ROUND_DONE) {
                    roundDone(m.text());
                    continue;
                }
                Runnable hook = onLoaded;
                if (m.type() == StreamFormat.RP_LOADED && hook != null) {
                    hook.run();
                }
                queue.add(m);
                wakeRoundWaiters();
                if (m.type() != StreamFormat.RP_CONFIG_OK) {
                    onMessage.run();
                    return;
                }
            }
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            queue.add(new ReturnPath.Message(CLOSED, why));
            wakeRoundWaiters();
            onMessage.run();
        }
    }
}
