package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <hostdev>}: a host device passed through (pci, usb, scsi, mdev); its source is kept verbatim. */
@XmlRootElement(name = "hostdev")
public class Hostdev extends Extensible {
    /** Attribute {@code mode}. */
    @XmlAttribute(name = "mode")
    public String mode;

    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code managed}. */
    @XmlAttribute(name = "managed")
    public String managed;

    /** Attribute {@code model}. */
    @XmlAttribute(name = "model")
    public String model;


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
