package org.jkvm.engine;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.vmstate.Migratable;

/**
 * Failure injection for migration tests (test helper): a {@link Migratable} that forwards everything to a real one
 * except the {@code n}-th call of one method, before which it runs an action: throw (a fault at that phase of the
 * migration) or something else, such as cancelling the job or dropping the destination. Thread-safe as the wrapped
 * VM is.
 */
final class FaultyMigratable {
    private FaultyMigratable() {
    }

    /** An action run in place of, or before, the chosen call; it may throw. */
    @FunctionalInterface
    interface Action {
        void run();
    }

    /** {@code vm} whose {@code n}-th call (from 1) of {@code method} runs {@code action} first. */
    static Migratable before(Migratable vm, String method, int n, Action action) {
        AtomicInteger calls = new AtomicInteger();
        return (Migratable) Proxy.newProxyInstance(Migratable.class.getClassLoader(), new Class<?>[] {Migratable.class},
                (proxy, m, args) -> {
                    if (m.getName().equals(method) && calls.incrementAndGet() == n) {
                        action.run();
                    }
                    try {
                        return m.invoke(vm, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
