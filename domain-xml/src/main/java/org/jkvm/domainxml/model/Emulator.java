package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlValue;

/** {@code <devices><emulator>}: the emulator binary path (jkvm runs its own engine). */
@XmlRootElement(name = "emulator")
public class Emulator extends Extensible {
    /** The element's text. */
    @XmlValue
    public String value;
}
