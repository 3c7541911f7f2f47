package org.jkvm.engine;

/**
 * One vCPU as the monitors show it ({@code info cpus}, {@code query-cpus-fast}).
 *
 * @param index          the vCPU index (0 for the first)
 * @param nativeThreadId the host thread id (gettid) of the thread that runs it
 * @param rip            its instruction pointer when asked: read on the vCPU thread between two runs (a running
 *                       guest is interrupted for that read, as QEMU's {@code info cpus} does), or the last value read
 *                       once the VM has ended
 * @param halted         whether it is not executing guest code (paused, waiting for a migration, or ended)
 */
public record VcpuInfo(int index, long nativeThreadId, long rip, boolean halted) {
}
