package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** {@code <features>}: acpi, apic and pae as flags; every other feature (hyperv, kvm, smm...) kept verbatim. */
public class Features extends Extensible {
    /** {@code <acpi/>}. */
    @XmlElement(name = "acpi")
    public Flag acpi;

    /** {@code <apic/>}. */
    @XmlElement(name = "apic")
    public Flag apic;

    /** {@code <pae/>}. */
    @XmlElement(name = "pae")
    public Flag pae;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
