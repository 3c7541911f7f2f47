package org.jkvm.domainxml;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persistent definitions as files: one folder, one canonical file {@code NAME.xml} per domain, written by
 * {@link DomainXml#format} from the {@link DomainDefinition#persistent() persistent} form. The files hold no
 * timestamps or runtime facts, and saving an unchanged definition leaves its file untouched, so the folder can be a
 * git working tree whose diffs show only real changes.
 *
 * <p>Writes are atomic: the text goes to a hidden temporary file in the same folder, which is fsynced and renamed
 * over the old file, and the folder is fsynced; a crash leaves the old file or the new one, never a mix. Loading
 * skips hidden files. Methods are synchronized; one process should own a folder.
 */
public final class DomainStore {
    private static final Logger LOG = LoggerFactory.getLogger(DomainStore.class);
    private static final int CHUNK = 64 * 1024;
    private final Path dir;
    private final LongConsumer progress;

    /**
     * A file that could not be loaded.
     *
     * @param file   the file
     * @param reason why, as one sentence
     */
    public record BrokenFile(Path file, String reason) {
    }

    /**
     * The result of loading the whole folder.
     *
     * @param definitions the definitions that loaded, sorted by name
     * @param broken      the files that did not, sorted by file name
     */
    public record LoadResult(List<DomainDefinition> definitions, List<BrokenFile> broken) {
    }

    /**
     * Opens (and creates when missing) a store folder.
     *
     * @throws DomainXmlException when the folder cannot be created
     */
    public DomainStore(Path dir) {
        this(dir, written -> { });
    }

    /** A store that reports the bytes written so far after each chunk of a write (crash tests). */
    DomainStore(Path dir, LongConsumer progress) {
        this.progress = progress;
        this.dir = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new DomainXmlException("cannot create the domain store folder " + this.dir + ": " + e.getMessage()
                    + "; check the path and permissions", e);
        }
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The file that holds (or would hold) a domain. */
    public Path fileOf(String name) {
        checkName(name);
        return dir.resolve(name + ".xml");
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank() || name.contains("/") || name.startsWith(".")
                || name.chars().anyMatch(c -> c < 0x20)) {
            throw new DomainXmlException("domain name '" + name + "' cannot be stored as a file; use a name without"
                    + " '/', control characters or a leading '.'");
        }
    }

    /**
     * Saves a definition in canonical form (runtime facts removed), atomically. A definition without a UUID is
     * stored with a new random one (libvirt's rule); {@link #find} returns it.
     *
     * @return the file
     * @throws DomainXmlException when the definition breaks libvirt's rules or the write fails (the old file is
     *                            then unchanged)
     */
    public synchronized Path save(DomainDefinition def) {
        LibvirtRules.require(def);
        Path file = fileOf(def.name());
        String text = DomainXml.format(def.withUuidIfAbsent().persistent());
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(text)) {
                return file;
            }
        } catch (IOException e) {
            LOG.debug("rewriting {} (could not compare with it: {})", file, e.getMessage());
        }
        writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    private void writeAtomically(Path file, byte[] bytes) {
        Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ByteBuffer chunk = buf.slice(buf.position(), Math.min(CHUNK, buf.remaining()));
                    buf.position(buf.position() + ch.write(chunk));
                    progress.accept(buf.position());
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // The temporary file is hidden and skipped by load; nothing else to undo.
            }
            throw new DomainXmlException("cannot write " + file + ": " + e.getMessage() + "; the previous"
                    + " definition is unchanged; check free space and permissions", e);
        }
    }

    /** The definition stored under a name, if any. */
    public synchronized Optional<DomainDefinition> find(String name) {
        Path file = fileOf(name);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(DomainXml.parse(file));
    }

    /**
     * Deletes a stored definition.
     *
     * @return true when a file was deleted
     */
    public synchronized boolean delete(String name) {
        try {
            boolean done = Files.deleteIfExists(fileOf(name));
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
            return done;
        } catch (IOException e) {
            throw new DomainXmlException("cannot delete " + fileOf(name) + ": " + e.getMessage(), e);
        }
    }

    /** Loads every {@code *.xml} file; a broken file is reported (and logged) and the others still load. */
    public synchronized LoadResult loadAll() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.xml")) {
            for (Path p : ds) {
                if (!p.getFileName().toString().startsWith(".")) {
                    files.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return new LoadResult(List.of(), List.of());
        } catch (IOException e) {
            throw new DomainXmlException("cannot list the domain store " + dir + ": " + e.getMessage(), e);
        }
        files.sort(null);
        List<DomainDefinition> ok = new ArrayList<>();
        List<BrokenFile> broken = new ArrayList<>();
        Map<String, Path> uuids = new HashMap<>();
        for (Path f : files) {
            String reason = null;
            try {
                DomainDefinition def = DomainXml.parse(f);
                LibvirtRules.require(def);
                String expected = f.getFileName().toString().replaceFirst("\\.xml$", "");
                Path other = def.uuid() == null ? null : uuids.putIfAbsent(def.uuid(), f);
                if (!expected.equals(def.name())) {
                    reason = "the file holds domain '" + def.name() + "'; rename the file to " + def.name() + ".xml";
                } else if (other != null) {
                    reason = "UUID " + def.uuid() + " is already used by " + other.getFileName()
                            + "; give one of them another UUID";
                } else {
                    ok.add(def);
                }
            } catch (DomainXmlException e) {
                reason = e.getMessage();
            }
            if (reason != null) {
                LOG.warn("skipping broken domain definition {}: {}", f, reason);
                broken.add(new BrokenFile(f, reason));
            }
        }
        return new LoadResult(ok, broken);
    }
}
