package org.jkvm.domainxml.internal;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.Unmarshaller;

import org.jkvm.domainxml.DomainXmlException;
import org.jkvm.domainxml.model.Domain;

/**
 * The one {@link JAXBContext} of the model, created on first use with this bundle's class loader as the thread
 * context loader, so that the JAXB API finds the runtime inside OSGi (where no ServiceLoader mediator runs) as well
 * as on a plain class path. Thread-safe; marshallers and unmarshallers are per call.
 */
public final class Jaxb {
    private static volatile JAXBContext context;

    private Jaxb() {
    }

    /** The shared context. */
    public static JAXBContext context() {
        JAXBContext c = context;
        if (c == null) {
            synchronized (Jaxb.class) {
                c = context;
                if (c == null) {
                    c = create();
                    context = c;
                }
            }
        }
        return c;
    }

    private static JAXBContext create() {
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(Jaxb.class.getClassLoader());
        try {
            return JAXBContext.newInstance(Domain.class);
        } catch (JAXBException e) {
            throw new DomainXmlException("cannot create the JAXB context for the domain model: " + e
                    + "; check that the JAXB runtime (com.sun.xml.bind:jaxb-osgi) is installed", e);
        } finally {
            t.setContextClassLoader(saved);
        }
    }

    /** A new unmarshaller. */
    public static Unmarshaller unmarshaller() {
        try {
            return context().createUnmarshaller();
        } catch (JAXBException e) {
            throw new DomainXmlException("cannot create a JAXB unmarshaller: " + e, e);
        }
    }

    /** A new marshaller writing indented (2 spaces) UTF-8 without an XML declaration. */
    public static Marshaller marshaller() {
        try {
            Marshaller m = context().createMarshaller();
            m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, Boolean.TRUE);
            m.setProperty(Marshaller.JAXB_FRAGMENT, Boolean.TRUE);
            m.setProperty(Marshaller.JAXB_ENCODING, "UTF-8");
            try {
                m.setProperty("org.glassfish.jaxb.indentString", "  ");
            } catch (jakarta.xml.bind.PropertyException ignored) {
                // Another JAXB runtime: keep its default indentation.
            }
            return m;
        } catch (JAXBException e) {
            throw new DomainXmlException("cannot create a JAXB marshaller: " + e, e);
        }
    }
}
