package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlValue;

/** {@code <os><type>}: the OS type ({@code hvm}), with arch and machine. */
public class OsType extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;

    /** Attribute {@code arch}. */
    @XmlAttribute(name = "arch")
    public String arch;

    /** Attribute {@code machine}. */
    @XmlAttribute(name = "machine")
    public String machine;
}
