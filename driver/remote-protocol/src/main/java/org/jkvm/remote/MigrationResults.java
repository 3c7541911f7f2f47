package org.jkvm.remote;

/** Results of the migration v3 phases (Begin, Prepare, Finish). Cookies are opaque and may be empty. */
public final class MigrationResults {
    private MigrationResults() {
    }

    /**
     * What Begin returns on the source.
     *
     * @param cookie opaque data handed to Prepare
     * @param xml    the domain XML the destination should run
     */
    public record Begin(byte[] cookie, String xml) {
    }

    /**
     * What Prepare returns on the destination.
     *
     * @param cookie opaque data handed to Perform
     * @param uriOut the data-channel URI the source should stream to, or null to use the caller's
     *               {@code migrate_uri}
     */
    public record Prepare(byte[] cookie, String uriOut) {
    }

    /**
     * What Finish returns on the destination when the guest continues there.
     *
     * @param domain the domain now running (or paused) on the destination
     * @param cookie opaque data handed to Confirm
     */
    public record Finish(DomainRef domain, byte[] cookie) {
    }
}
