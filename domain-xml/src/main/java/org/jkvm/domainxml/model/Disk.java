package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <disk>}: a file, block or network backed disk, cdrom, floppy or lun. */
@XmlRootElement(name = "disk")
public class Disk extends Extensible {
    /** Attribute {@code type} (file, block, network, volume, dir, nvme...). */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code device} (disk, cdrom, floppy, lun). */
    @XmlAttribute(name = "device")
    public String device;

    /** Attribute {@code snapshot}. */
    @XmlAttribute(name = "snapshot")
    public String snapshot;

    /** The backend driver. */
    @XmlElement(name = "driver")
    public DiskDriver driver;

    /** The image source. */
    @XmlElement(name = "source")
    public DiskSource source;

    /** The backing chain: the image this one is layered on. */
    @XmlElement(name = "backingStore")
    public BackingStore backingStore;

    /** The guest-side target. */
    @XmlElement(name = "target")
    public DiskTarget target;

    /** Present when the disk is read-only. */
    @XmlElement(name = "readonly")
    public Flag readonly;

    /** Present when the disk may be shared between domains. */
    @XmlElement(name = "shareable")
    public Flag shareable;

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
