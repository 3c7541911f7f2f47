package org.jkvm.hypervisor.x86;

/**
 * What the CPU is doing between instructions (the activity states of Intel SDM vol. 3, 25.4.2, and what KVM calls
 * the MP state).
 */
public enum ActivityState {
    /** Executing instructions. */
    ACTIVE,
    /** Stopped by HLT until an interrupt (or NMI, SMI, INIT) arrives. */
    HALTED,
    /** An application processor after INIT, waiting for a start-up IPI. */
    WAIT_FOR_SIPI,
    /** Shut down after a triple fault; only INIT or RESET leave this state. */
    SHUTDOWN
}
