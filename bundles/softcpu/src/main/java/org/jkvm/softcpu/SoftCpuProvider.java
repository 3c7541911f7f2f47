package org.jkvm.softcpu;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;

/**
 * The {@code -accel tcg} backend: jkvm's software x86-64 CPU. Registered in
 * {@code META-INF/services/org.jkvm.hypervisor.HypervisorProvider}; needs nothing from the host but a
 * little-endian JVM with {@code sun.misc.Unsafe}.
 */
public final class SoftCpuProvider implements HypervisorProvider {
    @Override
    public Accelerator accelerator() {
        return Accelerator.TCG;
    }

    @Override
    public Hypervisor open(Options options) {
        return new SoftHypervisor();
    }
}
