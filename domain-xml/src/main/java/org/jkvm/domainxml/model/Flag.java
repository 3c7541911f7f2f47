package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** An element whose presence is the value, e.g. {@code <acpi/>}, {@code <readonly/>}, {@code <shareable/>}. */
public class Flag extends Extensible {
    /** Attribute {@code state}. */
    @XmlAttribute(name = "state")
    public String state;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
