package org.jkvm.vmstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The scratch mark: per thread, inherited by threads started under it, and info lines become debug lines. */
class ScratchTest {
    @Test
    void theMarkPassesToThreadsStartedUnderItAndEndsWithTheTask() throws Exception {
        AtomicBoolean inChild = new AtomicBoolean();
        AtomicBoolean inside = new AtomicBoolean();
        Scratch.run(() -> {
            inside.set(Scratch.active());
            Thread t = new Thread(() -> inChild.set(Scratch.active()));
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(inside.get());
        assertTrue(inChild.get(), "a thread started under the mark carries it");
        assertFalse(Scratch.active(), "the mark ends with the task");
        AtomicBoolean unmarked = new AtomicBoolean(true);
        Thread t = new Thread(() -> unmarked.set(Scratch.active()));
        t.start();
        t.join();
        assertFalse(unmarked.get(), "threads started outside are not marked");
    }

    @Test
    void infoLinesGoToDebugUnderTheMark() {
        List<String> calls = new ArrayList<>();
        Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    calls.add(method.getName() + ":" + args[0]);
                    return null;
                });
        Scratch.info(log, "real {}", 1);
        Scratch.run(() -> Scratch.info(log, "scratch {}", 2));
        assertEquals(List.of("info:real {}", "debug:scratch {}"), calls);
    }
}
