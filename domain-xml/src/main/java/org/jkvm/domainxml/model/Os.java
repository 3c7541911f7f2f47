package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;

import org.w3c.dom.Element;

/** {@code <os>}: type, firmware loader and NVRAM, direct kernel boot (kernel, initrd, cmdline) and boot order. */
public class Os extends Extensible {
    /** Attribute {@code firmware} (efi, bios): automatic firmware selection. */
    @XmlAttribute(name = "firmware")
    public String firmware;

    /** The OS type with arch and machine. */
    @XmlElement(name = "type")
    public OsType type;

    /** A firmware image. */
    @XmlElement(name = "loader")
    public Loader loader;

    /** The NVRAM store. */
    @XmlElement(name = "nvram")
    public Nvram nvram;

    /** The kernel image for direct boot; absent on jkvm means the bundled firmware. */
    @XmlElement(name = "kernel")
    public String kernel;

    /** The initrd image. */
    @XmlElement(name = "initrd")
    public String initrd;

    /** The kernel (or jkvm firmware) command line. */
    @XmlElement(name = "cmdline")
    public String cmdline;

    /** Boot devices in order. */
    @XmlElement(name = "boot")
    public List<Boot> boots = new ArrayList<>();

    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
