package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A chardev {@code <target>}: guest side (serial port number, console type, channel name). */
public class CharTarget extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code port}. */
    @XmlAttribute(name = "port")
    public String port;

    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Attribute {@code state}. */
    @XmlAttribute(name = "state")
    public String state;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
