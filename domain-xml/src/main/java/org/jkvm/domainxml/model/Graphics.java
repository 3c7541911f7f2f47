package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** {@code <graphics>}: a graphical console (vnc, spice...); jkvm has none. */
@XmlRootElement(name = "graphics")
public class Graphics extends Extensible {
    /** Attribute {@code type}. */
    @XmlAttribute(name = "type")
    public String type;

    /** Attribute {@code port}. */
    @XmlAttribute(name = "port")
    public String port;

    /** Attribute {@code autoport}. */
    @XmlAttribute(name = "autoport")
    public String autoport;

    /** Attribute {@code listen}. */
    @XmlAttribute(name = "listen")
    public String listen;

    /** Attribute {@code passwd}. */
    @XmlAttribute(name = "passwd")
    public String passwd;

    /** Attribute {@code keymap}. */
    @XmlAttribute(name = "keymap")
    public String keymap;

    /** Listen addresses. */
    @XmlElement(name = "listen")
    public List<Listen> listens = new ArrayList<>();

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
