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

/** The quiet mark: per thread, inherited by threads started under it, and info lines become debug lines. */
class ProgressLogTest {
    @Test
    void theMarkPassesToThreadsStartedUnderItAndEndsWithTheTask() throws Exception {
        AtomicBoolean inChild = new AtomicBoolean();
        AtomicBoolean inside = new AtomicBoolean();
        ProgressLog.quietly(() -> {
            inside.set(ProgressLog.isQuiet());
            Thread t = new Thread(() -> inChild.set(ProgressLog.isQuiet()));
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(inside.get());
        assertTrue(inChild.get(), "a thread started under the mark carries it");
        assertFalse(ProgressLog.isQuiet(), "the mark ends with the task");
        AtomicBoolean unmarked = new AtomicBoolean(true);
        Thread t = new Thread(() -> unmarked.set(ProgressLog.isQuiet()));
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
        ProgressLog.info(log, "real {}", 1);
        ProgressLog.quietly(() -> ProgressLog.info(log, "scratch {}", 2));
        assertEquals(List.of("info:real {}", "debug:scratch {}"), calls);
    }
}
