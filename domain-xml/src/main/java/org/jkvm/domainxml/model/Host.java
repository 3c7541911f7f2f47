package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A network host of a disk or chardev source. */
public class Host extends Extensible {
    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Attribute {@code port}. */
    @XmlAttribute(name = "port")
    public String port;

    /** Attribute {@code transport}. */
    @XmlAttribute(name = "transport")
    public String transport;

    /** Attribute {@code socket}. */
    @XmlAttribute(name = "socket")
    public String socket;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
