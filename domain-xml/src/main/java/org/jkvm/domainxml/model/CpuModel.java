package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlValue;

/** {@code <cpu><model>}: the CPU model name, with its fallback policy and vendor_id. */
public class CpuModel extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;

    /** Attribute {@code fallback}. */
    @XmlAttribute(name = "fallback")
    public String fallback;

    /** Attribute {@code vendor_id}. */
    @XmlAttribute(name = "vendor_id")
    public String vendorId;
}
