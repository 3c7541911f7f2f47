package org.jkvm.monitor;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jkvm.engine.EngineControl;
import org.jkvm.engine.EngineEvent;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.RunState;
import org.jkvm.engine.VcpuInfo;
import org.jkvm.engine.VmConfig;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.vmstate.Migratable;

/** An {@link EngineControl} without a backend for monitor unit tests: a run state and the events it would emit. */
final class FakeEngine implements EngineControl {
    final List<Consumer<EngineEvent>> listeners = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile RunState state = RunState.PRELAUNCH;
    volatile Accelerator accelerator = Accelerator.KVM;
    volatile boolean kvmPresent = true;
    private final VmConfig config = VmConfig.defaults(64L << 20);

    @Override
    public VmConfig config() {
        return config;
    }

    @Override
    public RunState state() {
        return state;
    }

    @Override
    public Accelerator accelerator() {
        return accelerator;
    }

    @Override
    public boolean kvmPresent() {
        return kvmPresent;
    }

    @Override
    public void stop() {
        calls.add("stop");
        if (state == RunState.RUNNING) {
            state = RunState.PAUSED;
            emit(new EngineEvent.Stopped(EngineEvent.nowMicros()));
        }
    }

    @Override
    public void cont() {
        calls.add("cont");
        if (state == RunState.SHUTDOWN) {
            throw new EngineException("the VM has shut down and cannot be resumed");
        }
        state = RunState.RUNNING;
        emit(new EngineEvent.Resumed(EngineEvent.nowMicros()));
    }

    @Override
    public void systemReset() {
        calls.add("system_reset");
    }

    @Override
    public void systemPowerdown() {
        calls.add("system_powerdown");
    }

    @Override
    public void quit() {
        calls.add("quit");
        state = RunState.SHUTDOWN;
        emit(new EngineEvent.Shutdown(EngineEvent.Cause.HOST_QUIT, EngineEvent.nowMicros()));
    }

    @Override
    public void abort(String reason) {
        calls.add("abort " + reason);
        state = RunState.SHUTDOWN;
    }

    @Override
    public List<VcpuInfo> cpus() {
        return List.of(new VcpuInfo(0, 4242L, 0x10002aL, state != RunState.RUNNING));
    }

    @Override
    public long debugDirtyPageCount() {
        return 17;
    }

    @Override
    public void addListener(Consumer<EngineEvent> listener) {
        listeners.add(listener);
    }

    @Override
    public void setMigrationState(RunState s) {
        state = s;
    }

    /** Tells the listeners, as the engine does on the thread that caused the event. */
    void emit(EngineEvent event) {
        listeners.forEach(l -> l.accept(event));
    }

    /** What the fake VM's {@link Migratable#migrationBlocker()} answers (null: not blocked). */
    volatile String blocker;

    /** A VM that can only say whether it is blocked; everything else throws (no migration in the fake engine). */
    @Override
    public Migratable migratable() {
        return (Migratable) java.lang.reflect.Proxy.newProxyInstance(Migratable.class.getClassLoader(),
                new Class<?>[] {Migratable.class}, (proxy, method, args) -> {
                    if (method.getName().equals("migrationBlocker")) {
                        return blocker;
                    }
                    throw new EngineException("no migration in the fake engine");
                });
    }
}
