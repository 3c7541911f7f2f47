package org.jkvm.driver.qmp;

/**
 * The answer to {@code query-kvm}, as QEMU gives it.
 *
 * @param enabled whether KVM runs this guest (else the software CPU does)
 * @param present whether KVM could run guests on this host
 */
public record KvmInfo(boolean enabled, boolean present) {
}
