package org.jkvm.migration;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

import org.jkvm.migration.stream.ReturnPath;

/**
 * The source's half of the handover (tcp/unix): once the destination's LOADED arrives, the source is acknowledged
 * (it never resumes from then on) and sends the handover byte, after which the destination may run the guest.
 *
 * <p>The return path's reader thread hands over itself as soon as it reads LOADED ({@link #onLoaded}), once the job
 * has {@link #arm armed} it after the last byte of the stream: passing LOADED on to the sending thread first cost a
 * third thread wake-up inside the guest's downtime, milliseconds on a loaded host. A cancel or a failure
 * {@link #disarm disarms} it under the same lock, so exactly one of the two happens: the handover (the source stays
 * paused) or the disarm (the source may resume); two running copies of the guest are impossible.
 * Thread-safe.
 */
final class Handover {
    private final JobCounters counters;
    private final NanoClock clock;
    private boolean armed;
    private boolean disarmed;
    private boolean handedOver;
    private long sentNanos = -1;
    private IOException error;

    Handover(JobCounters counters, NanoClock clock) {
        this.counters = counters;
        this.clock = clock;
    }

    /** Allows the reader thread to hand over (after the stream's EOF is written); no effect once disarmed. */
    synchronized void arm() {
        armed = !disarmed;
    }

    /**
     * On the reader thread when LOADED arrives: hands over when armed (a failed send is kept for {@link #complete}).
     */
    synchronized void onLoaded(WritableByteChannel out) {
        if (armed && !handedOver) {
            send(out);
        }
    }

    /**
     * On the sending thread after it read LOADED: hands over unless the reader thread did.
     *
     * @throws IOException when the handover byte could not be sent (the source is acknowledged all the same)
     */
    synchronized void complete(WritableByteChannel out) throws IOException {
        if (!handedOver) {
            send(out);
        }
        if (error != null) {
            throw error;
        }
    }

    /**
     * A cancel or a failure: forbids the handover from now on.
     *
     * @return false when the handover has already happened (the source must stay paused)
     */
    synchronized boolean disarm() {
        if (handedOver) {
            return false;
        }
        disarmed = true;
        armed = false;
        return true;
    }

    /** When the handover byte was sent (the job's clock), or -1. */
    synchronized long sentNanos() {
        return sentNanos;
    }

    private void send(WritableByteChannel out) {
        // From here on the source never resumes: the destination may run the guest as soon as it has the byte.
        counters.acknowledge();
        handedOver = true;
        try {
            ReturnPath.sendHandover(out);
            sentNanos = clock.nanoTime();
        } catch (IOException e) {
            error = e;
        }
    }
}
