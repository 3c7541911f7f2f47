package org.jkvm.engine.vcpu;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmExit;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that owns one {@link HvVcpu} and runs it (Firecracker's vCPU state machine, kvmtool's one-screen exit
 * switch). Port I/O and MMIO are handled inside {@link HvVcpu#run()}; what comes back here is only whether to go on,
 * look at the command queue, or end the VM.
 *
 * <pre>
 *            resume                      terminate / fatal exit / finish()
 *   PAUSED ----------> RUNNING ---------------------------------------> FINISHED
 *          <----------
 *            pause (HvVcpu.kick(): never waits for the guest)
 * </pre>
 *
 * <p>Other threads talk to it only through a command queue: {@link #pause()}, {@link #resume()},
 * {@link #call(Callable)} (state access, while paused), {@link #terminate()}. Each command first kicks the vCPU
 * ({@link HvVcpu#kick()}) so a guest that never exits is interrupted at once. Pause completes a pending I/O
 * instruction first ({@link HvVcpu#completePendingIo()}), so saved state lies between two instructions.
 */
public final class VcpuRunner implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuRunner.class);
    private static final long COMMAND_TIMEOUT_S = 30;
    /** How long {@link #pause()} spins for the vCPU's answer before it parks. */
    private static final long PAUSE_SPIN_NANOS = 200_000;

    /** The loop state, only changed by the vCPU thread. */
    private enum State { PAUSED, RUNNING, FINISHED }

    private final HvVcpu vcpu;
    private final ExitListener listener;
    private final BlockingQueue<VcpuCommand> commands = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Thread thread;
    /**
     * Held by the vCPU thread while it handles a command (except a throttle sleep) and by {@link #callState} while
     * it uses the vCPU from another thread: seen PAUSED under it, the vCPU thread is out of the guest and stays
     * out until the lock is free. It also orders the two threads' accesses to the vCPU's state.
     */
    private final Object stateLock = new Object();
    private volatile State state = State.PAUSED;
    private volatile int nativeThreadId;
    private volatile VmExit exit;
    /** A guest reset asked for by a device ({@link #requestReset}), not yet handled, or null. */
    private volatile String resetRequest;
    /** Throttle sleeps taken and their requested length in total; written by the vCPU thread only. */
    private volatile long throttleSleeps;
    private volatile long throttleSleptNanos;
    /** The RIP last read by {@link #rip()} or at the end of the loop. */
    private volatile long lastRip;

    /**
     * @param vcpu     the vCPU, configured; this runner's thread owns it from {@link #start()} on
     * @param listener told when the loop ends
     */
    public VcpuRunner(HvVcpu vcpu, ExitListener listener) {
        this.vcpu = vcpu;
        this.listener = listener;
        this.thread = new Thread(this, "vcpu" + vcpu.id());
    }

    /** Starts the thread, paused; returns once it is ready for commands. */
    public void start() {
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops guest execution; returns once the vCPU is out of the guest. A no-op when paused or finished. */
    public void pause() {
        send(new VcpuCommand.Pause(new CompletableFuture<>()));
    }

    /** Resumes guest execution. A no-op when running or finished. */
    public void resume() {
        send(new VcpuCommand.Resume(new CompletableFuture<>()));
    }

    /** Lets the thread sleep {@code nanos} before running on (auto-converge); does not wait. */
    public void throttleSleep(long nanos) {
        if (state == State.RUNNING) {
            commands.add(new VcpuCommand.Sleep(nanos, new CompletableFuture<>()));
            kick();
        }
    }

    /**
     * Runs {@code task} on the vCPU thread, which owns the fd. Only while paused.
     *
     * @throws EngineException when the vCPU is running or finished, or the task fails
     */
    @SuppressWarnings("unchecked")
    public <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            try {
                return task.call();
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new EngineException("vCPU task failed: " + e, e);
            }
        }
        return (T) send(new VcpuCommand.Task(task, new CompletableFuture<>()));
    }

    /**
     * Saves or restores the vCPU's state ({@code task}): while paused, on the calling thread when the backend allows
     * it ({@link HvVcpu#stateCallsFromAnyThread()}), else on the vCPU thread as {@link #call} does. Inside a
     * migration's downtime each hand-off to the vCPU thread and back is two thread wake-ups, which a loaded host
     * delays by milliseconds each (1.7-14 ms for the restore of the CPU state on a 2-core host at load 2-4).
     *
     * @throws EngineException when the vCPU is running or finished, or the task fails
     */
    public <T> T callState(Callable<T> task) {
        if (vcpu.stateCallsFromAnyThread() && Thread.currentThread() != thread) {
            synchronized (stateLock) {
                if (state == State.PAUSED) {
                    try {
                        return task.call();
                    } catch (Exception e) {
                        throw e instanceof RuntimeException r ? r : new EngineException("vCPU task failed: " + e, e);
                    }
                }
            }
        }
        return call(task);
    }

    /**
     * The vCPU's instruction pointer: read on the vCPU thread between two runs, paused or running (a running guest
     * is kicked out for the read and goes on at once, as QEMU's {@code info cpus} interrupts it); once the loop has
     * ended, the last value read. Any thread.
     */
    public long rip() {
        if (state != State.FINISHED && Thread.currentThread() != thread) {
            try {
                Object rip = send(new VcpuCommand.Peek(() -> vcpu.registers().rip(), new CompletableFuture<>()));
                if (rip instanceof Long r) {
                    lastRip = r;
                }
            } catch (EngineException e) {
                LOG.debug("RIP not read: {}", e.getMessage()); // the VM ended meanwhile: the last value stands
            }
        } else if (Thread.currentThread() == thread) {
            lastRip = vcpu.registers().rip();
        }
        return lastRip;
    }

    /** Ends the loop (if still running) and waits for the thread. */
    public void terminate() {
        terminate(VmExit.quit("the VM was stopped"));
    }

    /** Ends the loop (if still running) with {@code why} as the VM's exit, and waits for the thread. */
    public void terminate(VmExit why) {
        if (thread.isAlive() && Thread.currentThread() != thread) {
            send(new VcpuCommand.Terminate(why, new CompletableFuture<>()));
            try {
                thread.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_S));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (Thread.currentThread() == thread) {
            finish(why);
        }
    }

    /**
     * Ends the loop from a device handler on the vCPU thread (e.g. debug exit); takes effect when {@code run()}
     * returns. The vCPU is kicked so that it returns soon even if its backend would go on executing after the I/O
     * access (the guest may spin after writing the debug-exit port).
     */
    public void finish(VmExit why) {
        synchronized (stateLock) {
            if (exit == null) {
                exit = why;
            }
            state = State.FINISHED;
        }
        if (Thread.currentThread() == thread) {
            vcpu.kick();
        }
    }

    /** How many throttle sleeps ({@link #throttleSleep}) the vCPU thread has taken. Any thread. */
    public long throttleSleeps() {
        return throttleSleeps;
    }

    /** The requested length of all throttle sleeps taken so far, in nanoseconds (each lasted at least that). */
    public long throttleSleptNanos() {
        return throttleSleptNanos;
    }

    /**
     * Asks for a machine reset once the guest's current instruction is over: the vCPU thread calls
     * {@link ExitListener#guestReset} before it runs the guest again. For devices, on the vCPU thread (inside an I/O
     * access); any thread may call it.
     */
    public void requestReset(String source) {
        if (resetRequest == null) {
            resetRequest = source;
        }
        vcpu.kick();
    }

    /** Whether the vCPU executes guest code. */
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** Whether the loop has ended. */
    public boolean isFinished() {
        return state == State.FINISHED;
    }

    /** The vCPU thread. */
    public Thread thread() {
        return thread;
    }

    /** The host thread id (gettid) of the vCPU thread, as QEMU's {@code query-cpus-fast} reports it. */
    public int nativeThreadId() {
        return nativeThreadId;
    }

    @Override
    public void run() {
        nativeThreadId = Posix.gettid();
        try {
            vcpu.bindToCurrentThread();
            started.countDown();
            loop();
        } catch (RuntimeException | Error e) {
            LOG.debug("vCPU loop failed", e);
            finish(VmExit.failure("the vCPU stopped: " + e.getMessage(), RegisterDump.of(vcpu)));
        } finally {
            started.countDown();
            try {
                lastRip = vcpu.registers().rip();
            } catch (RuntimeException | Error e) {
                LOG.debug("no final RIP", e);
            }
            state = State.FINISHED;
            VcpuCommand c;
            while ((c = commands.poll()) != null) {
                c.done().complete(null);
            }
            listener.vcpuFinished(exit == null ? VmExit.quit("the VM was stopped") : exit);
        }
    }

    private void loop() {
        while (state != State.FINISHED) {
            VcpuCommand c = state == State.PAUSED ? take() : commands.poll();
            if (c != null) {
                handle(c);
                continue;
            }
            exitSwitch(vcpu.run());
            String reset = resetRequest;
            if (reset != null && state != State.FINISHED) {
                resetRequest = null;
                completePendingIo();
                listener.guestReset(reset); // false: the listener has ended the loop itself (-no-reboot)
            }
        }
    }

    /** The exit switch, on one screen: go on, or end the VM (with a register dump when unexpected). */
    private void exitSwitch(VcpuExit e) {
        switch (e) {
            case CONTINUE, INTERRUPTED -> { } // handled, or a kick: look at the queue again
            // HLT comes back only without interrupt controllers (with them the vCPU waits inside run()).
            case HLT -> finish(VmExit.failure("the guest halted (HLT without an interrupt to wake it; jkvm guests "
                    + "end through the debug-exit port)", RegisterDump.of(vcpu)));
            case POWER_OFF -> finish(VmExit.quit("the guest requested power-off"));
            case SHUTDOWN -> { // a triple fault: a PC's reset line follows the shutdown cycle
                if (!listener.guestReset("triple-fault")) {
                    finish(failure(e));
                }
            }
            case FAILED -> finish(failure(e));
        }
    }

    private VmExit failure(VcpuExit e) {
        return VmExit.failure(vcpu.exitDetail().isEmpty() ? "the vCPU stopped (" + e + ")" : vcpu.exitDetail(),
                RegisterDump.of(vcpu));
    }

    private void handle(VcpuCommand c) {
        if (c instanceof VcpuCommand.Sleep) {
            handleLocked(c); // not under the lock: it only runs while RUNNING, and callState never waits for it
            return;
        }
        synchronized (stateLock) {
            handleLocked(c);
        }
    }

    private void handleLocked(VcpuCommand c) {
        try {
            if (c instanceof VcpuCommand.Pause) {
                completePendingIo();
                state = state == State.FINISHED ? State.FINISHED : State.PAUSED;
                c.done().complete(null);
            } else if (c instanceof VcpuCommand.Resume) {
                state = state == State.FINISHED ? State.FINISHED : State.RUNNING;
                c.done().complete(null);
            } else if (c instanceof VcpuCommand.Terminate t) {
                completePendingIo();
                finish(t.why());
                c.done().complete(null);
            } else if (c instanceof VcpuCommand.Sleep s) {
                TimeUnit.NANOSECONDS.sleep(s.nanos());
                throttleSleptNanos += s.nanos(); // single writer: this thread
                throttleSleeps++;
                c.done().complete(null);
            } else if (c instanceof VcpuCommand.Peek p) {
                c.done().complete(p.task().call());
            } else if (c instanceof VcpuCommand.Task t) {
                if (state != State.PAUSED) {
                    throw new EngineException("the vCPU must be paused for this operation; stop the VM first");
                }
                c.done().complete(t.task().call());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.done().completeExceptionally(e);
        } catch (Exception e) {
            c.done().completeExceptionally(e);
        }
    }

    /**
     * Spins up to {@link #PAUSE_SPIN_NANOS} for a running vCPU's answer to a pause, which usually comes within
     * microseconds of the kick: parking instead costs a wake-up that a loaded host delays by milliseconds, inside a
     * migration's downtime.
     */
    private static void awaitBriefly(CompletableFuture<Object> done) {
        long end = System.nanoTime() + PAUSE_SPIN_NANOS;
        while (!done.isDone() && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    private void completePendingIo() {
        vcpu.completePendingIo();
    }

    private VcpuCommand take() {
        try {
            return commands.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(VmExit.quit("the vCPU thread was interrupted"));
            return null;
        }
    }

    private void kick() {
        if (state != State.FINISHED) {
            vcpu.kick();
        }
    }

    private Object send(VcpuCommand c) {
        if (state == State.FINISHED || !thread.isAlive()) {
            if (c instanceof VcpuCommand.Task || c instanceof VcpuCommand.Peek) {
                throw new EngineException("the VM has ended; its vCPU state is gone");
            }
            return null;
        }
        commands.add(c);
        kick();
        if (c instanceof VcpuCommand.Pause) {
            awaitBriefly(c.done());
        }
        try {
            return c.done().get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new EngineException("vCPU command failed: " + cause,
                    cause);
        } catch (TimeoutException e) {
            throw new EngineException("the vCPU did not answer within " + COMMAND_TIMEOUT_S + " s; the VM is stuck",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while waiting for the vCPU", e);
        }
    }
}
