package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlMixed;

/**
 * {@code <os><nvram>}: the NVRAM store, either a path as text or (libvirt 8.5+) a {@code <source>} child with
 * {@code type}; the content is kept as it was read (text and elements, in order).
 */
public class Nvram extends Extensible {
    /** Attribute {@code template}. */
    @XmlAttribute(name = "template")
    public String template;

    /** Attribute {@code type} (file, block, network). */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code format}. */
    @XmlAttribute(name = "format")
    public String format;

    /** The content: text ({@link String}) and child elements ({@link org.w3c.dom.Element}) in document order. */
    @XmlMixed
    @XmlAnyElement
    public List<Object> content = new ArrayList<>();
}
