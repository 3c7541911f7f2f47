package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** A disk or backing store {@code <source>}: a file, a block device, or a network protocol with hosts. */
public class DiskSource extends Extensible {
    /** Attribute {@code file} (type file). */
    @XmlAttribute(name = "file")
    public String file;

    /** Attribute {@code dev} (type block). */
    @XmlAttribute(name = "dev")
    public String dev;

    /** Attribute {@code dir} (type dir). */
    @XmlAttribute(name = "dir")
    public String dir;

    /** Attribute {@code protocol} (type network: nbd, iscsi, rbd...). */
    @XmlAttribute(name = "protocol")
    public String protocol;

    /** Attribute {@code name} (type network: the export or image name). */
    @XmlAttribute(name = "name")
    public String name;

    /** Attribute {@code pool} (type volume). */
    @XmlAttribute(name = "pool")
    public String pool;

    /** Attribute {@code volume} (type volume). */
    @XmlAttribute(name = "volume")
    public String volume;

    /** Attribute {@code index}. */
    @XmlAttribute(name = "index")
    public String index;

    /** Network hosts. */
    @XmlElement(name = "host")
    public List<Host> hosts = new ArrayList<>();

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
