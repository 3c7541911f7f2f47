package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlValue;

/** {@code <os><loader>}: a firmware image path. */
public class Loader extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;

    /** Attribute {@code readonly}. */
    @XmlAttribute(name = "readonly")
    public String readonly;

    /** Attribute {@code secure}. */
    @XmlAttribute(name = "secure")
    public String secure;

    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code stateless}. */
    @XmlAttribute(name = "stateless")
    public String stateless;
}
