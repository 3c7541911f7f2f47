package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlRootElement;

/** {@code <console>}: a console; a console with target type serial is the first serial port. */
@XmlRootElement(name = "console")
public class Console extends Chardev {
}
