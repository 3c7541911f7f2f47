package org.jkvm.features;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;

/** Migration through virsh between two daemons, with the real engine and our firmware on /dev/kvm. */
class VirshMigrateRealEngineTest extends VirshMigration {
    @Override
    String engine() {
        Require.kvm();
        return Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the repository")
                .toString();
    }

    @Override
    String cmdline() {
        return "workload=dirty mib=4 rate=200 hb_ms=200";
    }
}
