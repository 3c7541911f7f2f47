package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <controller>}: a bus controller (pci, usb, ide, virtio-serial...). */
@XmlRootElement(name = "controller")
public class Controller extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code index}. */
    @XmlAttribute(name = "index")
    public String index;

    /** Attribute {@code model}. */
    @XmlAttribute(name = "model")
    public String model;

    /** Attribute {@code ports}. */
    @XmlAttribute(name = "ports")
    public String ports;

    /** Attribute {@code vectors}. */
    @XmlAttribute(name = "vectors")
    public String vectors;


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
