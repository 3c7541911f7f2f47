package org.jkvm.driver;

import java.util.List;

import org.jkvm.driver.engine.EnginePaths;

/**
 * What the driver needs from the domain-xml layer: parsing and validation, the engine command line, the live XML,
 * the persistent store and the host capabilities. Implemented over domain-xml's model, store and
 * {@code EngineArgs}; implementations are thread-safe and throw {@link org.jkvm.remote.LibvirtError}
 * (27 XML_ERROR for malformed XML, 67 CONFIG_UNSUPPORTED for what the engine cannot run).
 */
public interface Definitions {
    /** Parses and validates domain XML. */
    Definition parse(String xml);

    /**
     * The engine's arguments for a definition (without the program itself), using the given paths for
     * {@code -qmp}, {@code -pidfile} and a {@code pty} serial port. The caller adds launch-time options
     * ({@code -S}, {@code -incoming}) and any of {@code -qmp}, {@code -pidfile}, {@code -serial} left out.
     */
    List<String> engineArgs(Definition def, EnginePaths paths);

    /** The XML of a running domain: the definition with its id and runtime facts such as the serial log path. */
    String liveXml(Definition def, int id, EnginePaths paths);

    /** Every stored (persistent) definition. */
    List<Definition> loadAll();

    /** Stores a definition, replacing an earlier one with the same UUID. */
    void store(Definition def);

    /** Removes a stored definition. */
    void remove(Definition def);

    /**
     * The host capabilities XML ({@code virsh capabilities}).
     *
     * @param kvm whether KVM works here: guests of type {@code kvm} are listed only then, {@code qemu} always
     */
    String capabilities(boolean kvm);

    /**
     * The domain capabilities XML ({@code virsh domcapabilities}) for a virtualization type.
     *
     * @param virtType {@code kvm} or {@code qemu}
     */
    String domainCapabilities(String virtType);

    /** The engine program reported as the emulator (in capabilities and in libvirt's messages about it). */
    String emulator();

    /**
     * Checks that a destination definition keeps the source's guest-visible configuration (the ABI).
     *
     * @throws org.jkvm.remote.LibvirtError 67 CONFIG_UNSUPPORTED listing every difference
     */
    void abiCheck(Definition source, Definition destination);

    /** The same definition under another name (migration with {@code destination_name}). */
    Definition rename(Definition def, String name);
}
