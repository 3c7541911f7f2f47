package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** {@code <clock>}: the offset policy and the timers. */
public class Clock extends Extensible {
    /** Attribute {@code offset} (utc, localtime, timezone, variable, absolute). */
    @XmlAttribute(name = "offset")
    public String offset;

    /** Attribute {@code adjustment}. */
    @XmlAttribute(name = "adjustment")
    public String adjustment;

    /** Attribute {@code basis}. */
    @XmlAttribute(name = "basis")
    public String basis;

    /** Attribute {@code timezone}. */
    @XmlAttribute(name = "timezone")
    public String timezone;

    /** The timers, in document order. */
    @XmlElement(name = "timer")
    public List<Timer> timers = new ArrayList<>();

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
