/**
 * The process helpers of the engine that are not about KVM: redirecting a spare engine's standard streams
 * ({@code open}/{@code dup2}/{@code close}), the Linux thread id of a vCPU or warm-up thread, and a per-thread nice
 * value. Kept out of the KVM binding so that an engine running on the software CPU needs no KVM class.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.posix;
