package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <interface><target>}: the host tap device name. */
public class IfaceTarget extends Extensible {
    /** Attribute {@code dev}. */
    @XmlAttribute(name = "dev")
    public String dev;

    /** Attribute {@code managed}. */
    @XmlAttribute(name = "managed")
    public String managed;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
