package org.jkvm.domainxml;

/**
 * One ABI difference between a source and a destination definition.
 *
 * @param path        the element path (e.g. {@code devices/interface[1]})
 * @param source      the source's normalised value, or null when the source has none
 * @param destination the destination's normalised value, or null when the destination has none
 */
public record AbiDifference(String path, String source, String destination) {
    @Override
    public String toString() {
        if (source == null) {
            return path + ": only the destination has it (" + destination + ")";
        }
        if (destination == null) {
            return path + ": only the source has it (" + source + ")";
        }
        return path + ": source '" + source + "', destination '" + destination + "'";
    }
}
