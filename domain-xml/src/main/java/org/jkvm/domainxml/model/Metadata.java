package org.jkvm.domainxml.model;

import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAnyElement;

import org.w3c.dom.Element;

/** {@code <metadata>}: application data, each child in its own namespace, kept verbatim. */
public class Metadata extends Extensible {
    /** Child elements the model does not name, kept verbatim in document order. */
    @XmlAnyElement
    public List<Element> otherElements = new ArrayList<>();
}
