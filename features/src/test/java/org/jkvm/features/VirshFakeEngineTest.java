package org.jkvm.features;

import org.jkvm.testkit.Require;

/** The virsh acceptance run against the driver tests' fake engine: the whole daemon path, without KVM. */
class VirshFakeEngineTest extends VirshAcceptance {
    @Override
    String engine() {
        Require.command("virsh");
        return Daemon.fakeEngine();
    }

    @Override
    String cmdline() {
        return "workload=idle";
    }
}
