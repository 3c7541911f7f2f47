package org.jkvm.engine.vcpu;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jkvm.devices.IoBus;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmExit;
import org.jkvm.kvm.KvmRun;
import org.jkvm.kvm.VcpuFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that owns one {@link VcpuFd} and runs {@code KVM_RUN} (Firecracker's vCPU state machine, kvmtool's
 * one-screen exit switch).
 *
 * <pre>
 *            resume                      terminate / fatal exit / finish()
 *   PAUSED ----------> RUNNING ---------------------------------------> FINISHED
 *          <----------
 *            pause (immediate_exit + signal kick: never waits for the guest)
 * </pre>
 *
 * <p>Other threads talk to it only through a command queue: {@link #pause()}, {@link #resume()},
 * {@link #call(Callable)} (state access, while paused), {@link #terminate()}. Each command first sets
 * {@code kvm_run.immediate_exit} and signals the thread ({@link VcpuFd#kick()}) so a guest that never exits is
 * interrupted at once.
 * Pause completes a pending I/O instruction first (KVM_RUN with immediate_exit), so saved state is consistent.
 */
public final class VcpuRunner implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuRunner.class);
    private static final long COMMAND_TIMEOUT_S = 30;

    /** The loop state, only changed by the vCPU thread. */
    private enum State { PAUSED, RUNNING, FINISHED }

    private final VcpuFd vcpu;
    private final KvmRun run;
    private final ExitDispatcher dispatcher;
    private final ExitListener listener;
    private final BlockingQueue<VcpuCommand> commands = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Thread thread;
    private volatile State state = State.PAUSED;
    private volatile int nativeThreadId;
    private volatile VmExit exit;
    private boolean ioPending;

    /**
     * @param vcpu     the vCPU, configured; this runner owns it from {@link #start()} on
     * @param pio      the port-I/O bus
     * @param mmio     the MMIO bus
     * @param listener told when the loop ends
     */
    public VcpuRunner(VcpuFd vcpu, IoBus pio, IoBus mmio, ExitListener listener) {
        this.vcpu = vcpu;
        this.run = vcpu.kvmRun();
        this.dispatcher = new ExitDispatcher(run, pio, mmio);
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

    /** Stops guest execution; returns once KVM_RUN has returned. A no-op when paused or finished. */
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

    /** Ends the loop from a device handler on the vCPU thread (e.g. debug exit); takes effect after the exit. */
    public void finish(VmExit why) {
        if (exit == null) {
            exit = why;
        }
        state = State.FINISHED;
    }

    /** Port-I/O exits handled so far (statistics, any thread). */
    public long ioExits() {
        return dispatcher.ioExits();
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
        vcpu.bindToCurrentThread();
        nativeThreadId = org.jkvm.kvm.VcpuKick.currentThreadId();
        started.countDown();
        try {
            loop();
        } catch (RuntimeException | Error e) {
            LOG.debug("vCPU loop failed", e);
            finish(VmExit.failure("the vCPU stopped: " + e.getMessage(), RegisterDump.of(vcpu)));
        } finally {
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
            int reason = vcpu.run();
            if (reason < 0) {
                run.immediateExit(false); // EINTR / EAGAIN: a kick; look at the queue again
                ioPending = false;
                continue;
            }
            ioPending = reason == KvmRun.EXIT_IO || reason == KvmRun.EXIT_MMIO;
            exitSwitch(reason);
        }
    }

    /** The exit switch, on one screen: I/O to the buses, everything unexpected ends the VM with a dump. */
    private void exitSwitch(int reason) {
        switch (reason) {
            case KvmRun.EXIT_IO -> dispatcher.io();
            case KvmRun.EXIT_MMIO -> dispatcher.mmio();
            case KvmRun.EXIT_INTR, KvmRun.EXIT_IRQ_WINDOW_OPEN -> { }
            case KvmRun.EXIT_HLT -> finish(VmExit.failure("the guest halted (HLT without an interrupt to wake it; "
                    + "jkvm guests end through the debug-exit port)", RegisterDump.of(vcpu)));
            case KvmRun.EXIT_SHUTDOWN -> finish(VmExit.failure("the guest triple-faulted (KVM_EXIT_SHUTDOWN)",
                    RegisterDump.of(vcpu)));
            case KvmRun.EXIT_INTERNAL_ERROR -> finish(VmExit.failure("KVM reported an internal error, suberror "
                    + run.internalSuberror() + (run.internalSuberror() == KvmRun.INTERNAL_ERROR_EMULATION
                            ? " (instruction emulation failed)" : ""), RegisterDump.of(vcpu)));
            case KvmRun.EXIT_FAIL_ENTRY -> finish(VmExit.failure("KVM could not enter the guest, hardware reason 0x"
                    + Long.toHexString(run.failEntryReason()), RegisterDump.of(vcpu)));
            case KvmRun.EXIT_SYSTEM_EVENT -> finish(run.systemEventType() == 1
                    ? VmExit.quit("the guest requested power-off")
                    : VmExit.failure("the guest raised system event " + run.systemEventType(),
                            RegisterDump.of(vcpu)));
            default -> finish(VmExit.failure("unexpected KVM exit " + KvmRun.exitName(reason),
                    RegisterDump.of(vcpu)));
        }
    }

    private void handle(VcpuCommand c) {
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
                c.done().complete(null);
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

    /** KVM_RUN with immediate_exit set finishes an emulated I/O instruction and returns EINTR (api.rst). */
    private void completePendingIo() {
        if (ioPending) {
            run.immediateExit(true);
            vcpu.run();
            run.immediateExit(false);
            ioPending = false;
        }
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
            if (c instanceof VcpuCommand.Task) {
                throw new EngineException("the VM has ended; its vCPU state is gone");
            }
            return null;
        }
        commands.add(c);
        kick();
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
