package org.jkvm.features;

/** Migration through virsh between two daemons, with the driver tests' fake engine (no KVM needed). */
class VirshMigrateFakeEngineTest extends VirshMigration {
    @Override
    String engine() {
        return Daemon.fakeEngine();
    }

    @Override
    String cmdline() {
        return "workload=idle";
    }
}
