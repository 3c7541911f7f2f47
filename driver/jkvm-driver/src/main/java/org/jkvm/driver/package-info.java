/**
 * The jkvm hypervisor driver: libvirt's domain procedures (define, start, stop, save and restore, events, job
 * information, migration v3 and peer-to-peer) over engine processes, which it controls only through QMP
 * ({@link org.jkvm.driver.qmp}); every failure becomes a libvirt error in {@link org.jkvm.driver.VirErrors}. Knows no
 * engine bundle, no KVM and no stream format.
 */
package org.jkvm.driver;
