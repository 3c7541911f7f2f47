package org.jkvm.domainxml.internal;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A tiny indented XML writer for generated documents (capabilities): two-space indentation, single-quoted
 * attributes, escaped text. Not thread-safe; one instance per document.
 */
public final class XmlText {
    private final StringBuilder sb = new StringBuilder(4096);
    private final Deque<String> open = new ArrayDeque<>();

    /** Opens an element with attributes given as name, value pairs (null values are left out). */
    public XmlText open(String name, String... attrs) {
        indent().append('<').append(name);
        attributes(attrs);
        sb.append(">\n");
        open.push(name);
        return this;
    }

    /** Writes an empty element. */
    public XmlText empty(String name, String... attrs) {
        indent().append('<').append(name);
        attributes(attrs);
        sb.append("/>\n");
        return this;
    }

    /** Writes an element holding text. */
    public XmlText text(String name, String text, String... attrs) {
        indent().append('<').append(name);
        attributes(attrs);
        sb.append('>').append(escape(text)).append("</").append(name).append(">\n");
        return this;
    }

    /** Closes the innermost open element. */
    public XmlText close() {
        String name = open.pop();
        indent().append("</").append(name).append(">\n");
        return this;
    }

    /** The document; every element must be closed. */
    @Override
    public String toString() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("unclosed elements: " + open);
        }
        return sb.toString();
    }

    private StringBuilder indent() {
        sb.append("  ".repeat(open.size()));
        return sb;
    }

    private void attributes(String... attrs) {
        for (int i = 0; i + 1 < attrs.length; i += 2) {
            if (attrs[i + 1] != null) {
                sb.append(' ').append(attrs[i]).append("='").append(escape(attrs[i + 1])).append('\'');
            }
        }
    }

    /** XML-escapes text and attribute values. */
    public static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '\'' -> out.append("&apos;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
