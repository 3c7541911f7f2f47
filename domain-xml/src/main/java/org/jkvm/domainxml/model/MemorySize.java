package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlValue;

/** A size with a unit: {@code <memory>}, {@code <currentMemory>}, {@code <maxMemory>} (a missing unit means KiB). */
public class MemorySize extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;

    /** Attribute {@code unit}. */
    @XmlAttribute(name = "unit")
    public String unit;

    /** Attribute {@code slots}. */
    @XmlAttribute(name = "slots")
    public String slots;
}
