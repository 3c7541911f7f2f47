package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <memballoon>}: the memory balloon device. */
@XmlRootElement(name = "memballoon")
public class Memballoon extends Extensible {
    /** Attribute {@code model}. */
    @XmlAttribute(name = "model")
    public String model;

    /** Attribute {@code autodeflate}. */
    @XmlAttribute(name = "autodeflate")
    public String autodeflate;

    /** Attribute {@code freePageReporting}. */
    @XmlAttribute(name = "freePageReporting")
    public String freePageReporting;


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
