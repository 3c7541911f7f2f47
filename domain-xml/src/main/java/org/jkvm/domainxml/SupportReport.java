package org.jkvm.domainxml;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What jkvm makes of a definition: errors (it refuses to run it) and warnings (parts it ignores).
 *
 * @param errors   reasons the definition cannot run on jkvm, in document order
 * @param warnings parts of the definition jkvm ignores, in document order
 */
public record SupportReport(List<Problem> errors, List<Problem> warnings) {
    /** Copies the lists. */
    public SupportReport {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    /** True when jkvm can run the definition. */
    public boolean ok() {
        return errors.isEmpty();
    }

    /**
     * Throws when there are errors: one message listing all of them.
     *
     * @throws DomainXmlException naming every refused element
     */
    public void requireOk(String domainName) {
        if (!errors.isEmpty()) {
            throw new DomainXmlException(joined("domain '" + domainName + "' cannot run on jkvm", errors));
        }
    }

    static String joined(String head, List<Problem> problems) {
        if (problems.size() == 1) {
            return head + ": " + problems.get(0);
        }
        return head + " (" + problems.size() + " problems): "
                + problems.stream().map(Problem::toString).collect(Collectors.joining("; "));
    }
}
