package org.jkvm.domainxml;

/**
 * The one unchecked exception of the domain XML layer: malformed XML, a definition libvirt would reject, a
 * definition jkvm cannot run, an ABI mismatch, or a store failure. The message is complete and user-facing.
 */
public class DomainXmlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a complete message. */
    public DomainXmlException(String message) {
        super(message);
    }

    /** Creates an exception with a complete message and the cause (whose text is not repeated). */
    public DomainXmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
