package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A graphics {@code <listen>}. */
public class Listen extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code address}. */
    @XmlAttribute(name = "address")
    public String address;

    /** Attribute {@code network}. */
    @XmlAttribute(name = "network")
    public String network;

    /** Attribute {@code socket}. */
    @XmlAttribute(name = "socket")
    public String socket;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
