package org.jkvm.features;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainJobInfo;

/**
 * What Apache CloudStack's KVM agent does to migrate a guest, with libvirt-java 0.5.4: open the source and the
 * destination, start {@code Domain.migrate} with LIVE on a worker thread, lower the max downtime after a second,
 * poll job info meanwhile, then look the domain up on the destination. Used in the test JVM, and as a program of
 * its own run inside host A's network namespace ({@link #main}), like an agent on that host.
 */
final class CloudStackAgent {
    /** How often the agent reads the job info while the migration runs, in ms. */
    private static final long POLL_MS = 100;

    /**
     * What the migration showed.
     *
     * @param processed   data processed, from every job-info poll
     * @param lowered     whether the downtime was lowered while the migration ran
     * @param stateOnDest the domain's state on the destination afterwards
     * @param stateOnSrc  the domain's state on the source afterwards (shut off: it stays defined there)
     */
    record Outcome(List<Long> processed, boolean lowered, DomainInfo.DomainState stateOnDest,
                   DomainInfo.DomainState stateOnSrc) {
    }

    private CloudStackAgent() {
    }

    /**
     * Migrates running domain {@code name} from {@code src} to {@code dst}.
     *
     * @param bandwidthMiB the bandwidth argument (MiB/s, 0 for none), to keep a small guest's migration going
     */
    static Outcome migrate(String src, String dst, String name, long bandwidthMiB) throws Exception {
        Connect ca = new Connect(src, false);
        Connect cb = new Connect(dst, false);
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Domain dom = ca.domainLookupByName(name);
            dom.migrateSetMaxDowntime(500);
            String dxml = dom.getXMLDesc(8);
            Future<Domain> f = worker.submit(() -> dom.migrate(cb, 1L, dxml, name, null, bandwidthMiB));
            List<Long> processed = new ArrayList<>();
            long t0 = System.nanoTime();
            boolean lowered = false;
            while (!f.isDone()) {
                if (!lowered && System.nanoTime() - t0 > 1_000_000_000L) {
                    dom.migrateSetMaxDowntime(100);
                    lowered = true;
                }
                DomainJobInfo ji = dom.getJobInfo();
                processed.add(ji.getDataProcessed());
                try {
                    // The agent's poll period, as CloudStack's agent polls a migration's job info; the migration's
                    // end ends it at once.
                    f.get(POLL_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillMigrating) {
                    // poll again
                }
            }
            Domain onB = f.get(60, TimeUnit.SECONDS);
            if (!name.equals(onB.getName())) {
                throw new AssertionError("migrate returned domain " + onB.getName() + ", not " + name);
            }
            return new Outcome(processed, lowered, cb.domainLookupByName(name).getInfo().state,
                    ca.domainLookupByName(name).getInfo().state);
        } finally {
            worker.shutdownNow();
            ca.close();
            cb.close();
        }
    }

    /**
     * Runs {@link #migrate} and prints its outcome as one line ({@code outcome processed=... lowered=...
     * dest=... src=...}); exits 1 with the error on failure.
     *
     * @param args source URI, destination URI, domain name, bandwidth MiB/s
     */
    public static void main(String[] args) {
        try {
            Outcome o = migrate(args[0], args[1], args[2], Long.parseLong(args[3]));
            System.out.println("outcome processed=" + o.processed().stream().mapToLong(Long::longValue).max()
                    .orElse(0) + " polls=" + o.processed().size() + " lowered=" + o.lowered() + " dest="
                    + o.stateOnDest() + " src=" + o.stateOnSrc());
            System.exit(0);
        } catch (Exception | AssertionError e) {
            System.out.println("failed: " + e);
            System.exit(1);
        }
    }
}
