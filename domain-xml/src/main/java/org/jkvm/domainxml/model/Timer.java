package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <clock><timer>}: a guest timer, e.g. {@code tsc} with frequency and mode. */
public class Timer extends Extensible {
    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Attribute {@code present}. */
    @XmlAttribute(name = "present")
    public String present;

    /** Attribute {@code tickpolicy}. */
    @XmlAttribute(name = "tickpolicy")
    public String tickpolicy;

    /** Attribute {@code track}. */
    @XmlAttribute(name = "track")
    public String track;

    /** Attribute {@code frequency}. */
    @XmlAttribute(name = "frequency")
    public String frequency;

    /** Attribute {@code mode}. */
    @XmlAttribute(name = "mode")
    public String mode;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
