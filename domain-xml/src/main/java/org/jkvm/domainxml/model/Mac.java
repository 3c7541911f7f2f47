package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <interface><mac>}: the NIC MAC address. */
public class Mac extends Extensible {
    /** Attribute {@code address}. */
    @XmlAttribute(name = "address")
    public String address;

    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code check}. */
    @XmlAttribute(name = "check")
    public String check;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
