package org.jkvm.domainxml;

import java.util.List;
import java.util.Objects;

import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.CharSource;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.MemorySize;

/**
 * A parsed domain definition: the lossless model ({@link #model()}) plus normalised views of the values the rest
 * of jkvm needs (sizes in bytes, the canonical UUID, the vCPU count).
 *
 * <p>The model is mutable data; a definition handed to other threads must not be changed. Methods that return a
 * changed definition ({@link #withName}, {@link #withUuidIfAbsent}, {@link #persistent}) work on a deep copy.
 */
public final class DomainDefinition {
    private final Domain domain;

    /** Wraps a model (not copied). */
    public DomainDefinition(Domain domain) {
        this.domain = Objects.requireNonNull(domain, "domain");
    }

    /** The model: every element and attribute as read. */
    public Domain model() {
        return domain;
    }

    /** The domain {@code type} attribute ({@code kvm}...), or null. */
    public String type() {
        return domain.type;
    }

    /** The name, or null when absent. */
    public String name() {
        return domain.name == null ? null : domain.name.strip();
    }

    /**
     * The UUID in canonical lower-case 8-4-4-4-12 form, or null when absent.
     *
     * @throws DomainXmlException when the UUID is not valid
     */
    public String uuid() {
        return domain.uuid == null ? null : Uuids.canonical("uuid", domain.uuid);
    }

    /**
     * The boot memory ({@code <memory>}) in bytes.
     *
     * @throws DomainXmlException when {@code <memory>} is missing or invalid
     */
    public long memoryBytes() {
        if (domain.memory == null) {
            throw new DomainXmlException("memory: the <memory> element is missing; add e.g."
                    + " <memory unit='MiB'>256</memory>");
        }
        return size("memory", domain.memory);
    }

    /** The current memory in bytes ({@code <currentMemory>}, else {@code <memory>}). */
    public long currentMemoryBytes() {
        return domain.currentMemory == null ? memoryBytes() : size("currentMemory", domain.currentMemory);
    }

    /** A size element in bytes (a missing unit means KiB). */
    static long size(String path, MemorySize m) {
        return Units.toBytes(path, m.value, m.unit, "KiB");
    }

    /**
     * The maximum vCPU count ({@code <vcpu>}; 1 when absent).
     *
     * @throws DomainXmlException when the count is not a positive number
     */
    public int vcpus() {
        if (domain.vcpu == null) {
            return 1;
        }
        return positive("vcpu", domain.vcpu.value);
    }

    static int positive(String path, String text) {
        String t = text == null ? "" : text.strip();
        if (!t.matches("[0-9]{1,9}") || Integer.parseInt(t) == 0) {
            throw new DomainXmlException(path + ": '" + t + "' is not a positive whole number");
        }
        return Integer.parseInt(t);
    }

    /** Known devices of one type, in document order. */
    public <T> List<T> devices(Class<T> type) {
        return domain.devices == null ? List.of() : domain.devices.of(type);
    }

    /** A deep copy (through the canonical text, so it is exactly what a reader of the file would get). */
    public DomainDefinition copy() {
        return DomainXml.parse(DomainXml.format(this));
    }

    /** A copy with another name (migration with a new name, {@code virsh domrename}). */
    public DomainDefinition withName(String name) {
        DomainDefinition c = copy();
        c.domain.name = name;
        return c;
    }

    /** This definition when it has a UUID, else a copy with a new random UUID (libvirt's rule). */
    public DomainDefinition withUuidIfAbsent() {
        if (domain.uuid != null && !domain.uuid.isBlank()) {
            return this;
        }
        DomainDefinition c = copy();
        c.domain.uuid = Uuids.random();
        return c;
    }

    /**
     * The persistent form: a copy without runtime facts (the domain {@code id}, pty paths of serial ports and
     * consoles, the console {@code tty}), as kept in the {@link DomainStore}.
     */
    public DomainDefinition persistent() {
        DomainDefinition c = copy();
        c.domain.id = null;
        for (Chardev ch : c.devices(Chardev.class)) {
            if ("pty".equals(ch.type)) {
                ch.tty = null;
                for (CharSource s : ch.sources) {
                    s.path = null;
                }
                ch.sources.removeIf(s -> s.path == null && s.mode == null && s.otherAttributes.isEmpty()
                        && s.otherElements.isEmpty());
            }
        }
        return c;
    }

    @Override
    public String toString() {
        return "DomainDefinition[" + name() + "]";
    }
}
