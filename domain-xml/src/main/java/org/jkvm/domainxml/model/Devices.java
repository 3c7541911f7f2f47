package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlElementRef;
import jakarta.xml.bind.annotation.XmlElementRefs;

/**
 * {@code <devices>}: every device in document order, in one list. Known devices are model objects ({@link Disk},
 * {@link Interface}, {@link Serial}...); any other device (sound, tpm, panic...) is a DOM {@link org.w3c.dom.Element}
 * kept verbatim, at its place.
 */
public class Devices extends Extensible {
    /** The devices, known and unknown, in document order. */
    @XmlElementRefs({
        @XmlElementRef(type = Emulator.class), @XmlElementRef(type = Disk.class),
        @XmlElementRef(type = Interface.class), @XmlElementRef(type = Serial.class),
        @XmlElementRef(type = Console.class), @XmlElementRef(type = Channel.class),
        @XmlElementRef(type = Graphics.class), @XmlElementRef(type = Video.class),
        @XmlElementRef(type = Input.class), @XmlElementRef(type = Controller.class),
        @XmlElementRef(type = Memballoon.class), @XmlElementRef(type = Rng.class),
        @XmlElementRef(type = Watchdog.class), @XmlElementRef(type = Hostdev.class)})
    @XmlAnyElement
    public List<Object> all = new ArrayList<>();

    /** The known devices of one type, in document order (a convenience view; not a JAXB property). */
    public <T> List<T> of(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Object o : all) {
            if (type.isInstance(o)) {
                out.add(type.cast(o));
            }
        }
        return out;
    }
}
