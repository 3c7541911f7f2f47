package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;

import org.w3c.dom.Element;

/** A device {@code <model>} (NIC model, video model...). */
public class Model extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code vram}. */
    @XmlAttribute(name = "vram")
    public String vram;

    /** Attribute {@code vram64}. */
    @XmlAttribute(name = "vram64")
    public String vram64;

    /** Attribute {@code vgamem}. */
    @XmlAttribute(name = "vgamem")
    public String vgamem;

    /** Attribute {@code ram}. */
    @XmlAttribute(name = "ram")
    public String ram;

    /** Attribute {@code heads}. */
    @XmlAttribute(name = "heads")
    public String heads;

    /** Attribute {@code primary}. */
    @XmlAttribute(name = "primary")
    public String primary;

    /** Attribute {@code name}. */
    @XmlAttribute(name = "name")
    public String name;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
