package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <input>}: an input device (mouse, tablet, keyboard); jkvm has none. */
@XmlRootElement(name = "input")
public class Input extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code bus}. */
    @XmlAttribute(name = "bus")
    public String bus;


    /** The device address. */
    @XmlElement(name = "address")
    public Address address;

    /** The device alias. */
    @XmlElement(name = "alias")
    public Alias alias;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
