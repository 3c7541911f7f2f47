package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <cpu><topology>}: sockets, dies, cores and threads. */
public class Topology extends Extensible {
    /** Attribute {@code sockets}. */
    @XmlAttribute(name = "sockets")
    public String sockets;

    /** Attribute {@code dies}. */
    @XmlAttribute(name = "dies")
    public String dies;

    /** Attribute {@code clusters}. */
    @XmlAttribute(name = "clusters")
    public String clusters;

    /** Attribute {@code cores}. */
    @XmlAttribute(name = "cores")
    public String cores;

    /** Attribute {@code threads}. */
    @XmlAttribute(name = "threads")
    public String threads;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
