/**
 * The jkvm engine: {@link org.jkvm.engine.VmConfig} (parsed once from a QEMU-style command line by
 * {@link org.jkvm.engine.VmConfigParser}), the {@link org.jkvm.engine.Vm} it builds on /dev/kvm, and the
 * {@link org.jkvm.engine.EngineControl} API the monitors drive. The VM implements the migration SPI
 * ({@code org.jkvm.vmstate.Migratable}) through {@link org.jkvm.engine.EngineControl#migratable()}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.jkvm.engine;
