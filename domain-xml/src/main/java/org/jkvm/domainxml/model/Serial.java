package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlRootElement;

/** {@code <serial>}: a serial port (COM1...). */
@XmlRootElement(name = "serial")
public class Serial extends Chardev {
}
