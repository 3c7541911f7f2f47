package org.jkvm.domainxml.model;

import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.namespace.QName;

import jakarta.xml.bind.annotation.XmlAnyAttribute;
import jakarta.xml.bind.annotation.XmlTransient;

/**
 * Base of every element type: keeps the attributes the model does not name, sorted by namespace and local name so
 * that the written form does not depend on the input's attribute order.
 */
@XmlTransient
public abstract class Extensible {
    /** Orders attribute names by namespace URI, then local name. */
    public static final Comparator<QName> QNAME_ORDER =
            Comparator.comparing(QName::getNamespaceURI).thenComparing(QName::getLocalPart);

    /** Attributes not named by the model, kept verbatim. */
    @XmlAnyAttribute
    public Map<QName, String> otherAttributes = new TreeMap<>(QNAME_ORDER);
}
