package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.domainxml.model.Domain;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * libvirt's QEMU pass-through, {@code <qemu:commandline>} in the namespace
 * {@code http://libvirt.org/schemas/domain/qemu/1.0}, narrowed to the one use jkvm serves: QEMU's migration
 * properties of the "I'm over here" announcement,
 *
 * <pre>
 * &lt;qemu:commandline&gt;
 *   &lt;qemu:arg value='-global'/&gt;
 *   &lt;qemu:arg value='migration.announce-rounds=0'/&gt;
 * &lt;/qemu:commandline&gt;
 * </pre>
 *
 * passed to the engine as written ({@code -global migration.announce-{initial,max,rounds,step}=N}). libvirt has no
 * element or migration parameter for the announcement; a destination announces as soon as it runs, before anyone
 * could send it a monitor command, so its schedule must come with its command line, and the domain XML (which a
 * migration carries to the destination) is where libvirt users put QEMU options. The same XML turns the announcement
 * off on a libvirt host running QEMU. Any other argument, and {@code <qemu:env>} or other elements of the namespace,
 * are refused with one sentence. Thread-safe (stateless).
 */
public final class QemuCommandline {
    /** libvirt's QEMU namespace. */
    public static final String NS = "http://libvirt.org/schemas/domain/qemu/1.0";
    private static final String PROPERTY = "migration\\.announce-(initial|max|rounds|step)=[0-9]{1,9}";

    private QemuCommandline() {
    }

    /** Adds an error for each element of libvirt's QEMU namespace jkvm cannot apply. */
    static void check(Element e, List<Problem> errors) {
        if (!"commandline".equals(e.getLocalName())) {
            errors.add(new Problem(e.getNodeName(), "raw QEMU options cannot be passed to the jkvm engine; remove <"
                    + e.getNodeName() + ">"));
            return;
        }
        List<String> args = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                if (!NS.equals(c.getNamespaceURI()) || !"arg".equals(c.getLocalName())) {
                    errors.add(new Problem(e.getNodeName() + "/" + c.getNodeName(), "only <qemu:arg> is applied"
                            + " by jkvm (for -global migration.announce-*=N); remove <" + c.getNodeName() + ">"));
                    return;
                }
                args.add(c.getAttribute("value"));
            }
        }
        for (int i = 0; i < args.size(); i += 2) {
            if (!"-global".equals(args.get(i)) || i + 1 >= args.size() || !args.get(i + 1).matches(PROPERTY)) {
                errors.add(new Problem(e.getNodeName(), "QEMU argument '" + args.get(i) + (i + 1 < args.size()
                        ? " " + args.get(i + 1) : "") + "' cannot be passed to the jkvm engine; it takes only"
                        + " '-global migration.announce-{initial,max,rounds,step}=N' pairs"));
                return;
            }
        }
    }

    /** The engine arguments of every {@code <qemu:commandline>}, in document order (checked by {@link #check}). */
    static List<String> engineArgs(Domain d) {
        List<String> a = new ArrayList<>();
        for (Element e : d.otherElements) {
            if (NS.equals(e.getNamespaceURI()) && "commandline".equals(e.getLocalName())) {
                for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
                    if (n instanceof Element c) {
                        a.add(c.getAttribute("value"));
                    }
                }
            }
        }
        return a;
    }
}
