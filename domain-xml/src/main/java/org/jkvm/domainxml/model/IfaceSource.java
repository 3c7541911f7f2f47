package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <interface><source>}: the bridge, network or host device. */
public class IfaceSource extends Extensible {
    /** Attribute {@code bridge}. */
    @XmlAttribute(name = "bridge")
    public String bridge;

    /** Attribute {@code network}. */
    @XmlAttribute(name = "network")
    public String network;

    /** Attribute {@code dev}. */
    @XmlAttribute(name = "dev")
    public String dev;

    /** Attribute {@code mode}. */
    @XmlAttribute(name = "mode")
    public String mode;

    /** Attribute {@code portgroup}. */
    @XmlAttribute(name = "portgroup")
    public String portgroup;

    /** Attribute {@code portid}. */
    @XmlAttribute(name = "portid")
    public String portid;

    /** Attribute {@code address}. */
    @XmlAttribute(name = "address")
    public String address;

    /** Attribute {@code port}. */
    @XmlAttribute(name = "port")
    public String port;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
