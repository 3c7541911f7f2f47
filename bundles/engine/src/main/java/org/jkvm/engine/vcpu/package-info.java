/**
 * The vCPU thread ({@link org.jkvm.engine.vcpu.VcpuRunner}): it owns one {@code HvVcpu}, runs it, and takes pause,
 * resume, state and stop commands from a queue with a kick; its device callbacks ({@link org.jkvm.engine.vcpu.BusOps});
 * and the {@code cpu} migration section, version 2 (architectural state) written and versions 1 and 2 read. Not
 * exported.
 */
package org.jkvm.engine.vcpu;
