package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** {@code <backingStore>}: one link of a disk's backing chain; empty when the chain ends. */
public class BackingStore extends Extensible {
    /** Attribute {@code type} (file, block, network...). */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code index}. */
    @XmlAttribute(name = "index")
    public String index;

    /** The image format. */
    @XmlElement(name = "format")
    public DiskFormat format;

    /** The image source. */
    @XmlElement(name = "source")
    public DiskSource source;

    /** The next link of the chain. */
    @XmlElement(name = "backingStore")
    public BackingStore backingStore;

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
