package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A chardev {@code <source>}: file or pty path, unix socket path and mode, or tcp host and service. */
public class CharSource extends Extensible {
    /** Attribute {@code mode}. */
    @XmlAttribute(name = "mode")
    public String mode;

    /** Attribute {@code path}. */
    @XmlAttribute(name = "path")
    public String path;

    /** Attribute {@code host}. */
    @XmlAttribute(name = "host")
    public String host;

    /** Attribute {@code service}. */
    @XmlAttribute(name = "service")
    public String service;

    /** Attribute {@code append}. */
    @XmlAttribute(name = "append")
    public String append;

    /** Attribute {@code tls}. */
    @XmlAttribute(name = "tls")
    public String tls;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
