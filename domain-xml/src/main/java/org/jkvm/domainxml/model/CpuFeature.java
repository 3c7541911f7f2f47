package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <cpu><feature>}: a CPU feature with its policy (force, require, optional, disable, forbid). */
public class CpuFeature extends Extensible {
    /** Attribute {@code policy}. */
    @XmlAttribute(name = "policy")
    public String policy;

    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
