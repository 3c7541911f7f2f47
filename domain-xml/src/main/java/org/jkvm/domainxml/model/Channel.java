package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlRootElement;

/** {@code <channel>}: a host-guest channel (virtio, guestfwd). */
@XmlRootElement(name = "channel")
public class Channel extends Chardev {
}
