package org.jkvm.domainxml;

import java.nio.file.Path;

/**
 * A child process for {@link DomainStoreTest}: saves two large definitions of one domain, alternately, forever,
 * printing {@code ready} once, so that the test can kill it in the middle of a write. With a fourth argument
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
        }
    }

    private static void sleepForever() {
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
