/**
 * Test helpers shared by every module's tests: {@link org.jkvm.testkit.Await} (wait for a condition instead of
 * sleeping), {@link org.jkvm.testkit.Require} (skip when a real part such as /dev/kvm, qemu or virsh is missing; fail
 * under CI) and {@link org.jkvm.testkit.RepoPaths} (the repository root). Test scope only.
 */
package org.jkvm.testkit;
