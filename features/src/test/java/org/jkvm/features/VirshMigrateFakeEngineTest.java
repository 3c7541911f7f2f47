package org.jkvm.features;

/**
 * Migration through virsh between two daemons, with the driver tests' fake engine (no KVM needed), both in this
 * JVM on 127.0.0.2 / 127.0.0.3: the loopback fallback of {@link TwoHosts}, and quick.
 */
class VirshMigrateFakeEngineTest extends VirshMigration {
    @Override
    String engine() {
        return Daemon.fakeEngine();
    }

    @Override
    String cmdline() {
        return "workload=idle";
    }

    @Override
    boolean namespaces() {
        return false;
    }

    @Override
    int ports() {
        return 49460;
    }
}
