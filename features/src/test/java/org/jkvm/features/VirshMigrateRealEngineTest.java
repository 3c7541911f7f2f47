package org.jkvm.features;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;

/**
 * Migration through virsh between two daemons, with the real engine and our firmware (on KVM where it works, else
 * on the software CPU, see {@link Backend}): two
 * {@code bin/jkvmd} processes, each in a network namespace of its own, virsh in A's (see {@link TwoHosts}).
 */
class VirshMigrateRealEngineTest extends VirshMigration {
    @Override
    String engine() {
        Backend.requireGuests();
        return Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the repository")
                .toString();
    }

    @Override
    String cmdline() {
        return "workload=dirty mib=4 rate=200 hb_ms=200";
    }

    @Override
    boolean namespaces() {
        return true;
    }

    @Override
    int ports() {
        return 49400;
    }
}
