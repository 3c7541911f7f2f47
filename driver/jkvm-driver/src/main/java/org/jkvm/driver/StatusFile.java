package org.jkvm.driver;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;

/**
 * The runtime status of one running domain, kept in {@code STATE/run/NAME.status} (a properties file) beside the
 * live definition {@code STATE/run/NAME.xml}, so that a restarted daemon can re-attach to the engine.
 * Written atomically (temporary file, then rename).
 *
 * @param name         the domain name
 * @param uuid         the domain UUID
 * @param id           the domain id
 * @param pid          the engine's process id
 * @param startInstant when the engine process started, or null (shown to people; the wall clock can move it)
 * @param startTicks   when the engine process started in clock ticks after boot, or -1 when unknown (what guards
 *                     against a reused pid: {@link org.jkvm.driver.engine.ProcessStart})
 * @param persistent   whether the domain has a stored definition
 */
record StatusFile(String name, UUID uuid, int id, long pid, Instant startInstant, long startTicks,
                  boolean persistent) {
    static final String SUFFIX = ".status";

    static Path path(Path runDir, String name) {
        return runDir.resolve(name + SUFFIX);
    }

    static Path xmlPath(Path runDir, String name) {
        return runDir.resolve(name + ".xml");
    }

    /** Writes this status and the live XML. */
    void write(Path runDir, String liveXml) throws IOException {
        Files.createDirectories(runDir);
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("uuid", uuid.toString());
        p.setProperty("id", Integer.toString(id));
        p.setProperty("pid", Long.toString(pid));
        if (startInstant != null) {
            p.setProperty("start", startInstant.toString());
        }
        if (startTicks >= 0) {
            p.setProperty("start-ticks", Long.toString(startTicks));
        }
        p.setProperty("persistent", Boolean.toString(persistent));
        Path xml = xmlPath(runDir, name);
        Path tmpXml = runDir.resolve(name + ".xml.tmp");
        Files.writeString(tmpXml, liveXml, StandardCharsets.UTF_8);
        Files.move(tmpXml, xml, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Path tmp = runDir.resolve(name + SUFFIX + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "jkvm engine status; removed when the domain stops");
        }
        Files.move(tmp, path(runDir, name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads a status file.
     *
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException when a field is missing or malformed
     */
    static StatusFile read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String start = p.getProperty("start");
        return new StatusFile(required(p, "name", file), UUID.fromString(required(p, "uuid", file)),
                Integer.parseInt(required(p, "id", file)), Long.parseLong(required(p, "pid", file)),
                start == null ? null : Instant.parse(start), Long.parseLong(p.getProperty("start-ticks", "-1")),
                Boolean.parseBoolean(p.getProperty("persistent")));
    }

    /** Deletes a domain's status and live XML. */
    static void delete(Path runDir, String name) {
        try {
            Files.deleteIfExists(path(runDir, name));
            Files.deleteIfExists(xmlPath(runDir, name));
        } catch (IOException e) {
            // A leftover status file is re-checked (pid and QMP) at the next daemon start, so this is harmless.
        }
    }

    private static String required(Properties p, String key, Path file) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("status file " + file + " has no '" + key + "'");
        }
        return v;
    }
}
