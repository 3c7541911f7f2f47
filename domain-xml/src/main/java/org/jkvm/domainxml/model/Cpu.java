package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** {@code <cpu>}: mode (custom, host-model, host-passthrough, maximum), model, vendor, topology and features. */
public class Cpu extends Extensible {
    /** Attribute {@code mode}; absent means custom. */
    @XmlAttribute(name = "mode")
    public String mode;

    /** Attribute {@code match} (minimum, exact, strict). */
    @XmlAttribute(name = "match")
    public String match;

    /** Attribute {@code check} (none, partial, full). */
    @XmlAttribute(name = "check")
    public String check;

    /** Attribute {@code migratable} (on, off). */
    @XmlAttribute(name = "migratable")
    public String migratable;

    /** The CPU model. */
    @XmlElement(name = "model")
    public CpuModel model;

    /** The CPU vendor. */
    @XmlElement(name = "vendor")
    public String vendor;

    /** The topology. */
    @XmlElement(name = "topology")
    public Topology topology;

    /** Features, in document order. */
    @XmlElement(name = "feature")
    public List<CpuFeature> features = new ArrayList<>();

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
