package org.jkvm.block;

/**
 * An ordering barrier for writes of many threads: {@link #sync()} returns once an {@code fdatasync} that began after
 * the call has finished, so every write the caller completed before it is stable. Concurrent callers share one
 * {@code fdatasync} (group commit): a caller waits for a sync already running only if that sync began after its own
 * ticket, otherwise it waits for the next one, which it may run itself. Does nothing when the cache mode needs no
 * barriers ({@code unsafe}, or {@code O_DSYNC} where each write is already stable). Thread-safe.
 */
final class SyncBarrier {
    private final ImageFile file;
    private long requested;
    private long completed;
    private boolean running;

    SyncBarrier(ImageFile file) {
        this.file = file;
    }

    /** Returns when all writes completed before this call are stable. */
    void sync() {
        if (!file.barriersNeeded()) {
            return;
        }
        long ticket;
        synchronized (this) {
            ticket = ++requested;
        }
        boolean interrupted = false;
        try {
            while (true) {
                long target;
                synchronized (this) {
                    while (running && completed < ticket) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            interrupted = true; // the barrier must complete: the caller's ordering depends on it
                        }
                    }
                    if (completed >= ticket) {
                        return;
                    }
                    running = true;
                    target = requested;
                }
                boolean ok = false;
                try {
                    file.flush();
                    ok = true;
                } finally {
                    synchronized (this) {
                        running = false;
                        if (ok) {
                            completed = Math.max(completed, target);
                        }
                        notifyAll();
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
