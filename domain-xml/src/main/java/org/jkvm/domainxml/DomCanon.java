package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.XMLConstants;

import org.w3c.dom.Attr;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/** A stable one-line text of a kept DOM element: name, sorted attributes, stripped text, children in order. */
final class DomCanon {
    private DomCanon() {
    }

    /** The element as text, leaving out child elements with the given local names. */
    static String of(Element e, List<String> skipChildren) {
        StringBuilder sb = new StringBuilder();
        write(e, skipChildren, sb);
        return sb.toString();
    }

    private static void write(Element e, List<String> skip, StringBuilder sb) {
        String ns = e.getNamespaceURI();
        sb.append('<').append(ns == null ? "" : "{" + ns + "}").append(e.getLocalName());
        Map<String, String> attrs = new TreeMap<>();
        NamedNodeMap map = e.getAttributes();
        for (int i = 0; i < map.getLength(); i++) {
            Attr a = (Attr) map.item(i);
            if (!XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(a.getNamespaceURI())) {
                attrs.put(a.getLocalName() == null ? a.getName() : a.getLocalName(), a.getValue());
            }
        }
        attrs.forEach((k, v) -> sb.append(' ').append(k).append("='").append(v).append('\''));
        sb.append('>');
        List<Element> kids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && !skip.contains(c.getLocalName())) {
                kids.add(c);
            } else if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                text.append(n.getNodeValue());
            }
        }
        sb.append(text.toString().strip());
        for (Element c : kids) {
            write(c, List.of(), sb);
        }
        sb.append("</>");
    }
}
