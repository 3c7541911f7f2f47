package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <interface>}: a NIC (ethernet, bridge, network, user...), with MAC, host target and model. */
@XmlRootElement(name = "interface")
public class Interface extends Extensible {
    /** Attribute {@code type} (ethernet, bridge, network, user, direct...). */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code trustGuestRxFilters}. */
    @XmlAttribute(name = "trustGuestRxFilters")
    public String trustGuestRxFilters;

    /** The MAC address. */
    @XmlElement(name = "mac")
    public Mac mac;

    /** The host side source. */
    @XmlElement(name = "source")
    public IfaceSource source;

    /** The host tap device. */
    @XmlElement(name = "target")
    public IfaceTarget target;

    /** The NIC model. */
    @XmlElement(name = "model")
    public Model model;

    /** The boot order. */
    @XmlElement(name = "boot")
    public Boot boot;

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
