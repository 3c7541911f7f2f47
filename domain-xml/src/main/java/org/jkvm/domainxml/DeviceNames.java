package org.jkvm.domainxml;

import jakarta.xml.bind.annotation.XmlRootElement;

import org.w3c.dom.Element;

/** The element name of an entry of {@code <devices>} (a model object or a kept DOM element). */
final class DeviceNames {
    private DeviceNames() {
    }

    static String of(Object device) {
        if (device instanceof Element e) {
            String ns = e.getNamespaceURI();
            String local = e.getLocalName() == null ? e.getNodeName() : e.getLocalName();
            return ns == null || ns.isEmpty() ? local : e.getNodeName();
        }
        XmlRootElement root = device.getClass().getAnnotation(XmlRootElement.class);
        return root == null ? device.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) : root.name();
    }
}
