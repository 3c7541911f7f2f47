package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A device address; its attributes depend on {@code type} (pci, drive, usb, virtio-serial, isa...). */
public class Address extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code domain}. */
    @XmlAttribute(name = "domain")
    public String domain;

    /** Attribute {@code bus}. */
    @XmlAttribute(name = "bus")
    public String bus;

    /** Attribute {@code slot}. */
    @XmlAttribute(name = "slot")
    public String slot;

    /** Attribute {@code function}. */
    @XmlAttribute(name = "function")
    public String function;

    /** Attribute {@code controller}. */
    @XmlAttribute(name = "controller")
    public String controller;

    /** Attribute {@code target}. */
    @XmlAttribute(name = "target")
    public String target;

    /** Attribute {@code unit}. */
    @XmlAttribute(name = "unit")
    public String unit;

    /** Attribute {@code port}. */
    @XmlAttribute(name = "port")
    public String port;

    /** Attribute {@code multifunction}. */
    @XmlAttribute(name = "multifunction")
    public String multifunction;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
