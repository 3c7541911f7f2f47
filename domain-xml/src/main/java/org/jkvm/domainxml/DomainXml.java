package org.jkvm.domainxml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

import javax.xml.namespace.QName;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import jakarta.xml.bind.JAXBElement;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.UnmarshalException;
import jakarta.xml.bind.Unmarshaller;
import jakarta.xml.bind.ValidationEvent;

import org.jkvm.domainxml.internal.Jaxb;
import org.jkvm.domainxml.internal.ModelShape;
import org.jkvm.domainxml.model.Domain;

/**
 * Reads and writes libvirt domain XML without loss.
 *
 * <p>{@link #parse} accepts any well-formed {@code <domain>} document: what the model does not name is kept and
 * written back by {@link #format}, so {@code format(parse(x))} equals {@code x} up to whitespace, attribute order,
 * namespace prefixes, comments and the order of differently named siblings (libvirt's schema interleaves them).
 * {@link #format} writes the canonical form: 2-space indentation, the model's element order, attributes in a fixed
 * order, no XML declaration, a final newline; {@code format(parse(format(d)))} equals {@code format(d)}.
 *
 * <p>Parsing never resolves DTDs or external entities, and refuses elements nested more than {@link #MAX_DEPTH}
 * levels deep as soon as it meets one, as libvirt does. All methods are thread-safe.
 */
public final class DomainXml {
    private static final QName ROOT = new QName("", "domain");
    /** The largest definition file read (libvirt's virsh reads at most 10 MiB). */
    public static final long MAX_FILE_BYTES = 10L << 20;
    /**
     * The deepest element nesting accepted, counting {@code <domain>} as level 1: libvirt parses with libxml2, whose
     * default maximum depth is 256. Every document goes through {@link #parse(Opener, String)}, so RPC definitions,
     * migration XML, the domain store and jkvm-xml all share it; it also bounds the recursion of JAXB's DOM handling
     * of kept content.
     */
    public static final int MAX_DEPTH = 256;
    /** StAX factories are not required to be thread-safe: one per thread. */
    private static final ThreadLocal<XMLInputFactory> INPUT = ThreadLocal.withInitial(DomainXml::inputFactory);

    private DomainXml() {
    }

    private static XMLInputFactory inputFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
        return f;
    }

    /** Parses a definition held in a string; errors name the source as {@code domain XML}. */
    public static DomainDefinition parse(String xml) {
        return parseText(xml, "domain XML");
    }

    private static DomainDefinition parseText(String text, String source) {
        if (text.isBlank()) {
            throw new DomainXmlException(source + ": the document is empty; expected a <domain> element");
        }
        return parse(new StringReader(text), source);
    }

    /**
     * Parses a definition file.
     *
     * @throws DomainXmlException when the file cannot be read or is not a well-formed {@code <domain>} document
     */
    public static DomainDefinition parse(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new DomainXmlException(file + ": the file is larger than 10 MiB, which no domain definition"
                        + " needs; check that it is the right file");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DomainXmlException("cannot read " + file + ": " + e.getMessage()
                    + "; check the path and its permissions", e);
        }
        if (new String(bytes, StandardCharsets.ISO_8859_1).isBlank()) {
            throw new DomainXmlException(file + ": the document is empty; expected a <domain> element");
        }
        // The parser reads the encoding declaration (UTF-8 when there is none).
        return parse(() -> INPUT.get().createXMLStreamReader(new ByteArrayInputStream(bytes)), file.toString());
    }

    /** Opens the parser on the input. */
    private interface Opener {
        XMLStreamReader open() throws XMLStreamException;
    }

    /**
     * Parses a definition.
     *
     * @param in     the XML text
     * @param source a name for the input (a file name), used in error messages
     * @throws DomainXmlException with line, column and what was expected when the XML is malformed, or when the
     *                            root element is not {@code <domain>}
     */
    public static DomainDefinition parse(Reader in, String source) {
        return parse(() -> INPUT.get().createXMLStreamReader(in), source);
    }

    private static DomainDefinition parse(Opener opener, String source) {
        XMLStreamReader raw = null;
        Unmarshaller u = Jaxb.unmarshaller();
        ValidationEvent[] first = new ValidationEvent[1];
        Deque<Frame> open = new ArrayDeque<>();
        String[] dropped = new String[1];
        try {
            u.setEventHandler(event -> {
                first[0] = event;
                return false;
            });
            raw = opener.open();
            XMLStreamReader filtered = INPUT.get().createFilteredReader(raw, r -> track(r, open, dropped, source));
            skipToRoot(filtered, source);
            JAXBElement<Domain> root = u.unmarshal(filtered, Domain.class);
            if (!ROOT.equals(root.getName()) && "domain".equals(root.getName().getLocalPart())) {
                throw new DomainXmlException(source + ": the <domain> element is in namespace '"
                        + root.getName().getNamespaceURI() + "'; libvirt domain XML has no namespace, remove the"
                        + " xmlns attribute");
            }
            if (!ROOT.equals(root.getName())) {
                throw new DomainXmlException(source + ": the root element is <" + root.getName().getLocalPart()
                        + ">, expected <domain>; a libvirt domain definition starts with <domain type='kvm'>");
            }
            if (dropped[0] != null) {
                throw new DomainXmlException(source + ": " + dropped[0]);
            }
            return new DomainDefinition(root.getValue());
        } catch (XMLStreamException e) {
            throw malformed(source, e);
        } catch (UnmarshalException e) {
            throw unmarshalFailure(source, e, first[0], open);
        } catch (JAXBException e) {
            throw new DomainXmlException(source + ": cannot read the domain definition: " + e, e);
        } finally {
            close(raw);
        }
    }

    /**
     * An open element while parsing: its name, the model's shape for it (null inside kept DOM content) and the
     * single-valued children seen so far.
     */
    private record Frame(String name, ModelShape shape, Set<String> seen) {
    }

    /**
     * Drops whitespace-only text, keeps the stack of open elements (for error messages), and notes the first
     * content the model could not keep (a repeated single-valued element, text where only elements go), which
     * JAXB would otherwise drop silently.
     */
    private static boolean track(XMLStreamReader r, Deque<Frame> open, String[] dropped, String source) {
        switch (r.getEventType()) {
            case XMLStreamConstants.START_ELEMENT -> {
                if (open.size() >= MAX_DEPTH) {
                    // Thrown from the filter, before JAXB (recursive for kept DOM content) sees the element.
                    throw new DomainXmlException(source + ": " + where(r) + " elements are nested more than "
                            + MAX_DEPTH + " levels deep, the limit of libvirt's XML parser (libxml2's default maximum "
                            + "depth); flatten the document");
                }
                open.push(child(r, open.peek(), dropped));
            }
            case XMLStreamConstants.END_ELEMENT -> open.poll();
            case XMLStreamConstants.CHARACTERS -> {
                if (r.isWhiteSpace()) {
                    return false;
                }
                Frame top = open.peek();
                if (top != null && top.shape() != null && !top.shape().textAllowed() && dropped[0] == null) {
                    dropped[0] = where(r) + " text '" + r.getText().strip() + "' is not allowed inside <"
                            + top.name() + ">; remove it";
                }
                return true;
            }
            default -> {
                return true;
            }
        }
        return true;
    }

    private static Frame child(XMLStreamReader r, Frame parent, String[] dropped) {
        String name = r.getLocalName();
        boolean plain = r.getNamespaceURI() == null || r.getNamespaceURI().isEmpty();
        if (parent == null) {
            return new Frame(name, plain && "domain".equals(name) ? ModelShape.of(Domain.class) : null,
                    new HashSet<>());
        }
        if (parent.shape() == null || !plain) {
            return new Frame(name, null, Set.of());
        }
        if (parent.shape().singles().contains(name) && !parent.seen().add(name) && dropped[0] == null) {
            dropped[0] = where(r) + " <" + name + "> appears more than once inside <" + parent.name()
                    + ">, which holds one; remove the extra <" + name + ">";
        }
        Class<?> type = parent.shape().children().get(name);
        return new Frame(name, type == null ? null : ModelShape.of(type), new HashSet<>());
    }

    private static String where(XMLStreamReader r) {
        return "line " + r.getLocation().getLineNumber() + ", column " + r.getLocation().getColumnNumber() + ":";
    }

    private static void skipToRoot(XMLStreamReader r, String source) throws XMLStreamException {
        while (r.hasNext() && r.getEventType() != XMLStreamConstants.START_ELEMENT) {
            r.next();
        }
        if (r.getEventType() != XMLStreamConstants.START_ELEMENT) {
            throw new DomainXmlException(source + ": the document is empty; expected a <domain> element");
        }
    }

    private static void close(XMLStreamReader r) {
        if (r != null) {
            try {
                r.close();
            } catch (XMLStreamException ignored) {
                // Nothing to release beyond the parser state.
            }
        }
    }

    private static DomainXmlException malformed(String source, XMLStreamException e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        int at = msg.indexOf("Message: ");
        if (at >= 0) {
            msg = msg.substring(at + "Message: ".length());
        }
        String where = e.getLocation() == null ? ""
                : " line " + e.getLocation().getLineNumber() + ", column " + e.getLocation().getColumnNumber() + ":";
        return new DomainXmlException(source + ":" + where + " malformed XML: " + msg.strip()
                + (msg.strip().endsWith(".") ? "" : "."), e);
    }

    private static DomainXmlException unmarshalFailure(String source, UnmarshalException e, ValidationEvent event,
            Deque<Frame> open) {
        Throwable linked = e.getLinkedException();
        if (linked instanceof XMLStreamException xse) {
            return malformed(source, xse);
        }
        if (event != null && event.getLinkedException() instanceof XMLStreamException xse) {
            return malformed(source, xse);
        }
        if (event != null) {
            String where = event.getLocator() == null ? "" : " line " + event.getLocator().getLineNumber()
                    + ", column " + event.getLocator().getColumnNumber() + ":";
            if (event.getMessage() != null && event.getMessage().startsWith("unexpected element") && open.size() > 1) {
                Iterator<Frame> it = open.iterator();
                String child = it.next().name();
                return new DomainXmlException(source + ":" + where + " <" + child + "> is not allowed inside <"
                        + it.next().name() + ">, which holds text only; remove it", e);
            }
            return new DomainXmlException(source + ":" + where + " " + event.getMessage()
                    + "; this content cannot be kept, fix or remove it", e);
        }
        return new DomainXmlException(source + ": cannot read the domain definition: " + e, e);
    }

    /** The canonical text of a definition (see the class comment), ending with a newline. */
    public static String format(DomainDefinition def) {
        return format(def.model());
    }

    /** The canonical text of a model (see the class comment), ending with a newline. */
    public static String format(Domain domain) {
        StringWriter out = new StringWriter(4096);
        try {
            Marshaller m = Jaxb.marshaller();
            m.marshal(domain, out);
        } catch (JAXBException e) {
            throw new DomainXmlException("cannot write the domain definition '" + domain.name + "': " + e, e);
        }
        out.write('\n');
        return out.toString();
    }
}
