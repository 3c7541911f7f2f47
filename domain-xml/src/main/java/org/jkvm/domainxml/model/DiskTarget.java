package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** {@code <disk><target>}: the guest device name and bus. */
public class DiskTarget extends Extensible {
    /** Attribute {@code dev}. */
    @XmlAttribute(name = "dev")
    public String dev;

    /** Attribute {@code bus}. */
    @XmlAttribute(name = "bus")
    public String bus;

    /** Attribute {@code tray}. */
    @XmlAttribute(name = "tray")
    public String tray;

    /** Attribute {@code removable}. */
    @XmlAttribute(name = "removable")
    public String removable;

    /** Attribute {@code rotation_rate}. */
    @XmlAttribute(name = "rotation_rate")
    public String rotationRate;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
