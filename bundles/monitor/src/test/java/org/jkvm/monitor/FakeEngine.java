package org.jkvm.monitor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jkvm.engine.EngineControl;
import org.jkvm.engine.EngineEvent;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.RunState;
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
            publish(EngineEvent.now("STOP", Map.of()));
        }
    }

    @Override
    public void cont() {
        calls.add("cont");
        if (state == RunState.SHUTDOWN) {
            throw new EngineException("the VM has shut down and cannot be resumed");
        }
        state = RunState.RUNNING;
        publish(EngineEvent.now("RESUME", Map.of()));
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
        publish(EngineEvent.now("SHUTDOWN", Map.of("guest", false, "reason", "host-qmp-quit")));
    }

    @Override
    public void abort(String reason) {
        calls.add("abort " + reason);
        state = RunState.SHUTDOWN;
    }

    @Override
    public List<Map<String, Object>> cpus() {
        return List.of(Map.of("cpu-index", 0, "thread-id", 4242L));
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

    @Override
    public void publish(EngineEvent event) {
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
