package org.jkvm.engine.vcpu;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** A request to the vCPU thread; each carries the future its sender waits on. */
sealed interface VcpuCommand {
    /** The completion the sender waits for. */
    CompletableFuture<Object> done();

    /** Stop executing guest code (after completing a pending I/O instruction). */
    record Pause(CompletableFuture<Object> done) implements VcpuCommand {
    }

    /** Execute guest code again. */
    record Resume(CompletableFuture<Object> done) implements VcpuCommand {
    }

    /** Leave the loop for good, ending the VM with {@code why}. */
    record Terminate(org.jkvm.engine.VmExit why, CompletableFuture<Object> done) implements VcpuCommand {
    }

    /** Sleep this long (auto-converge throttling), then carry on. */
    record Sleep(long nanos, CompletableFuture<Object> done) implements VcpuCommand {
    }

    /** Run a read-only {@code task} on the vCPU thread between two runs, paused or running (e.g. read RIP). */
    record Peek(Callable<?> task, CompletableFuture<Object> done) implements VcpuCommand {
    }

    /** Run {@code task} on the vCPU thread (state access needs the fd's owner), only while paused. */
    record Task(Callable<?> task, CompletableFuture<Object> done) implements VcpuCommand {
    }
}
