package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <os><boot>} (a boot device) or a device's {@code <boot>} (a boot order). */
public class Boot extends Extensible {
    /** Attribute {@code dev}. */
    @XmlAttribute(name = "dev")
    public String dev;

    /** Attribute {@code order}. */
    @XmlAttribute(name = "order")
    public String order;

    /** Attribute {@code loadparm}. */
    @XmlAttribute(name = "loadparm")
    public String loadparm;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
