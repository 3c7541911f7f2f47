package org.jkvm.features;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;

/**
 * The virsh acceptance run with the real engine ({@code bin/jkvm-engine}) and our firmware: on KVM where it works,
 * else on the engine's software CPU ({@code type='qemu'} guests, see {@link Backend}).
 */
class VirshRealEngineTest extends VirshAcceptance {
    @Override
    String engine() {
        Require.command("virsh");
        Backend.requireGuests();
        return Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the repository")
                .toString();
    }

    @Override
    String cmdline() {
        return "workload=idle hb_ms=200";
    }
}
