package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlTransient;

import org.w3c.dom.Element;

/** What {@code <serial>}, {@code <console>} and {@code <channel>} share: a host backend and a guest target. */
@XmlTransient
public abstract class Chardev extends Extensible {
    /** Attribute {@code type} (pty, file, unix, tcp, udp, null, stdio...). */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code tty} (console: the pty path of a running domain). */
    @XmlAttribute(name = "tty")
    public String tty;

    /** Backend sources (udp has two: bind and connect). */
    @XmlElement(name = "source")
    public List<CharSource> sources = new ArrayList<>();

    /** The wire protocol (tcp). */
    @XmlElement(name = "protocol")
    public CharProtocol protocol;

    /** The guest side. */
    @XmlElement(name = "target")
    public CharTarget target;

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
