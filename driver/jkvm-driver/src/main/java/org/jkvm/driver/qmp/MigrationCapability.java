package org.jkvm.driver.qmp;

/** The migration capabilities the driver switches ({@code migrate-set-capabilities}). */
public enum MigrationCapability {
    /** Throttle a guest whose dirty rate keeps the migration from converging ({@code auto-converge}). */
    AUTO_CONVERGE("auto-converge");

    private final String wireName;

    MigrationCapability(String wireName) {
        this.wireName = wireName;
    }

    /** The QMP spelling. */
    public String wireName() {
        return wireName;
    }
}
