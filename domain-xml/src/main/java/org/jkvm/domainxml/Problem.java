package org.jkvm.domainxml;

/**
 * One finding about a definition: the element path (e.g. {@code devices/hostdev[1]}) and a sentence saying what
 * is wrong and what to do.
 *
 * @param path    the element path, relative to {@code <domain>}; {@code domain} for the root itself
 * @param message what is wrong and what to do
 */
public record Problem(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
