package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <disk><driver>}: the backend driver name, image format and cache mode. */
public class DiskDriver extends Extensible {
    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code cache}. */
    @XmlAttribute(name = "cache")
    public String cache;

    /** Attribute {@code io}. */
    @XmlAttribute(name = "io")
    public String io;

    /** Attribute {@code discard}. */
    @XmlAttribute(name = "discard")
    public String discard;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
