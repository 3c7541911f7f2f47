/**
 * A thin binding of Linux KVM ({@code /dev/kvm}) in the style of rust-vmm kvm-ioctls: one class per file
 * descriptor kind ({@link org.jkvm.kvm.Kvm}, {@link org.jkvm.kvm.VmFd}, {@link org.jkvm.kvm.VcpuFd}), every ioctl
 * number in {@link org.jkvm.kvm.KvmIoctls}, the shared {@code kvm_run} page behind the allocation-free
 * {@link org.jkvm.kvm.KvmRun} flyweight, and vCPU state as records with exact kernel layouts.
 *
 * <p>The layer decodes and never emulates: exits are returned as numbers and the caller handles them. Errors are
 * one unchecked type, {@link org.jkvm.kvm.KvmException}, carrying the ioctl name and errno.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.kvm;
