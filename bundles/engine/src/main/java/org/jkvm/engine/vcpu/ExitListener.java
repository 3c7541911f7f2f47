package org.jkvm.engine.vcpu;

import org.jkvm.engine.VmExit;

/** Told once, on the vCPU thread, that the vCPU loop has ended and why. */
@FunctionalInterface
public interface ExitListener {
    /** The loop ended; no more guest code runs. */
    void vcpuFinished(VmExit exit);
}
