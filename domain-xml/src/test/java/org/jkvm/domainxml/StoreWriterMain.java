package org.jkvm.domainxml;

import java.nio.file.Path;

/**
 * A child process for {@link DomainStoreTest}: saves two large definitions of one domain, alternately, forever,
 * printing {@code ready} once and {@code saved N} after each save, so that the test can kill it in the middle of a
 * write after as many saves as it likes. With a fourth argument
 * {@code pause} it saves the first, then stops in the middle of writing the second and prints {@code mid-write}.
 */
public final class StoreWriterMain {
    private StoreWriterMain() {
    }

    /** {@code args[0]}: the store folder; {@code args[1]} and {@code args[2]}: the two definition files. */
    public static void main(String[] args) {
        boolean pause = args.length > 3 && "pause".equals(args[3]);
        boolean[] armed = {false};
        DomainStore store = new DomainStore(Path.of(args[0]), written -> {
            if (armed[0]) {
                System.out.println("mid-write " + written);
                System.out.flush();
                sleepForever();
            }
        });
        DomainDefinition a = DomainXml.parse(Path.of(args[1]));
        DomainDefinition b = DomainXml.parse(Path.of(args[2]));
        store.save(a);
        armed[0] = pause;
        System.out.println("ready");
        System.out.flush();
        for (long i = 0; ; i++) {
            store.save(i % 2 == 0 ? b : a);
            System.out.println("saved " + i);
            System.out.flush();
        }
    }

    /** Blocks until the test kills the process: this thread waits for its own end, which never comes. */
    private static void sleepForever() {
        while (true) {
            try {
                Thread.currentThread().join();
            } catch (InterruptedException e) {
                // Nobody interrupts this process's threads; keep waiting for the kill.
            }
        }
    }
}
