package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlValue;

/** {@code <vcpu>}: the maximum vCPU count, with placement, cpuset and the current count. */
public class Vcpu extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;

    /** Attribute {@code placement}. */
    @XmlAttribute(name = "placement")
    public String placement;

    /** Attribute {@code cpuset}. */
    @XmlAttribute(name = "cpuset")
    public String cpuset;

    /** Attribute {@code current}. */
    @XmlAttribute(name = "current")
    public String current;
}
