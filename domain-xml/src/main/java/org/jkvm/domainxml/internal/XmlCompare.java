package org.jkvm.domainxml.internal;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

/**
 * Compares two XML documents as data: element and attribute names by namespace URI and local name (prefixes do
 * not matter), attributes as a set, text stripped of surrounding whitespace, comments and processing instructions
 * ignored, and children in order except that differently named siblings may be reordered (libvirt's schema
 * interleaves them). Children of {@code <devices>} must keep their exact order.
 */
public final class XmlCompare {
    private XmlCompare() {
    }

    /**
     * The first difference, as {@code path: what}, or null when the documents are equal.
     *
     * @throws IllegalArgumentException when either document is not well-formed
     */
    public static String firstDifference(String expected, String actual) {
        Element a = parse(expected).getDocumentElement();
        Element b = parse(actual).getDocumentElement();
        return compare("/" + a.getLocalName(), a, b);
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new IllegalArgumentException("not well-formed XML: " + e.getMessage(), e);
        }
    }

    private static String name(Node n) {
        String ns = n.getNamespaceURI();
        String local = n.getLocalName() == null ? n.getNodeName() : n.getLocalName();
        return ns == null || ns.isEmpty() ? local : "{" + ns + "}" + local;
    }

    private static String compare(String path, Element a, Element b) {
        if (!name(a).equals(name(b))) {
            return path + ": element " + name(a) + " became " + name(b);
        }
        Map<String, String> aa = attributes(a);
        Map<String, String> ba = attributes(b);
        if (!aa.equals(ba)) {
            return path + ": attributes " + aa + " became " + ba;
        }
        String at = text(a);
        String bt = text(b);
        if (!at.equals(bt)) {
            return path + ": text '" + at + "' became '" + bt + "'";
        }
        boolean strict = "devices".equals(a.getLocalName());
        List<Element> ac = children(a, strict);
        List<Element> bc = children(b, strict);
        for (int i = 0; i < Math.min(ac.size(), bc.size()); i++) {
            String d = compare(path + "/" + name(ac.get(i)) + "[" + (i + 1) + "]", ac.get(i), bc.get(i));
            if (d != null) {
                return d;
            }
        }
        if (ac.size() != bc.size()) {
            List<Element> longer = ac.size() > bc.size() ? ac : bc;
            Element extra = longer.get(Math.min(ac.size(), bc.size()));
            return path + ": " + ac.size() + " child elements became " + bc.size() + " (first unmatched: <"
                    + name(extra) + ">)";
        }
        return null;
    }

    private static Map<String, String> attributes(Element e) {
        Map<String, String> out = new TreeMap<>();
        NamedNodeMap map = e.getAttributes();
        for (int i = 0; i < map.getLength(); i++) {
            Attr at = (Attr) map.item(i);
            if (!XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(at.getNamespaceURI())) {
                out.put(name(at), at.getValue());
            }
        }
        return out;
    }

    private static String text(Element e) {
        StringBuilder sb = new StringBuilder();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                sb.append(n.getNodeValue());
            }
        }
        return sb.toString().strip();
    }

    private static List<Element> children(Element e, boolean strictOrder) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
            }
        }
        if (!strictOrder) {
            out.sort(Comparator.comparing(XmlCompare::name));
        }
        return out;
    }
}
