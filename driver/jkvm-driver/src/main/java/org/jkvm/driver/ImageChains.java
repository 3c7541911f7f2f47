package org.jkvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.LiveXml;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects a disk's backing chain from its image files, as libvirt does for a running domain's XML: a qcow2 image's
 * header names its backing file (bytes 8-15 offset, 16-19 length, qcow2 spec) and, in header extension 0xE2792ACA,
 * its format (when absent: probed, qcow2 by its magic, else raw); a relative name is taken from the directory of the
 * image that names it, as QEMU and libvirt resolve it. Raw images end a chain. A chain that loops, is deeper than 64,
 * or cannot be read is reported as unknown (null), and the disk is then shown as defined. Reads only the first
 * 64 KiB of each image and takes no lock. Thread-safe (stateless).
 */
final class ImageChains implements LiveXml.Chains {
    private static final Logger LOG = LoggerFactory.getLogger(ImageChains.class);
    private static final int QCOW2_MAGIC = 0x514649fb;
    private static final int EXT_BACKING_FORMAT = 0xe2792aca;
    private static final int HEADER_READ = 65536;
    private static final int MAX_DEPTH = 64;

    @Override
    public List<LiveXml.Backing> below(String file, String format) {
        List<LiveXml.Backing> out = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        Path image = Path.of(file);
        String fmt = format;
        try {
            while ("qcow2".equals(fmt)) {
                if (!seen.add(image.toRealPath()) || out.size() > MAX_DEPTH) {
                    LOG.warn("the backing chain of {} loops or is deeper than {}; not shown", file, MAX_DEPTH);
                    return null;
                }
                ByteBuffer h = head(image);
                if (h.limit() < 72 || h.getInt(0) != QCOW2_MAGIC) {
                    LOG.warn("{} is not a qcow2 image; the backing chain of {} is not shown", image, file);
                    return null;
                }
                String name = backingName(h);
                if (name == null) {
                    break;
                }
                Path next = resolve(image, name);
                String nextFormat = backingFormat(h);
                if (nextFormat == null) {
                    ByteBuffer probe = head(next);
                    nextFormat = probe.limit() >= 4 && probe.getInt(0) == QCOW2_MAGIC ? "qcow2" : "raw";
                }
                out.add(new LiveXml.Backing(nextFormat, next.toString()));
                image = next;
                fmt = nextFormat;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the backing chain of {}: {}; not shown", file, e.toString());
            return null;
        }
        return out;
    }

    private static ByteBuffer head(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(HEADER_READ, ch.size()));
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                continue;
            }
            return b.flip();
        }
    }

    private static String backingName(ByteBuffer h) {
        long offset = h.getLong(8);
        int size = h.getInt(16);
        if (offset == 0 || size <= 0) {
            return null;
        }
        if (size > 1023 || offset + size > h.limit()) {
            throw new IllegalStateException("backing file name at " + offset + " (" + size + " bytes) is out of range");
        }
        return new String(h.array(), (int) offset, size, StandardCharsets.UTF_8);
    }

    /** The backing format from the header extensions (version 3: after header_length; version 2: after 72). */
    private static String backingFormat(ByteBuffer h) {
        int pos = h.getInt(4) >= 3 && h.limit() >= 104 ? h.getInt(100) : 72;
        long nameAt = h.getLong(8); // the extensions end before the backing name (QEMU writes it after them)
        long end = nameAt > 0 ? Math.min(h.limit(), nameAt) : h.limit();
        while (pos >= 0 && pos + 8 <= end) {
            int type = h.getInt(pos);
            int len = h.getInt(pos + 4);
            if (type == 0 || len < 0 || pos + 8L + len > end) {
                return null;
            }
            if (type == EXT_BACKING_FORMAT) {
                return new String(h.array(), pos + 8, len, StandardCharsets.US_ASCII).replace("\0", "");
            }
            pos += 8 + ((len + 7) & ~7);
        }
        return null;
    }

    /** A backing name as QEMU resolves it: absolute as is, relative from the overlay's directory. */
    static Path resolve(Path overlay, String name) {
        String n = name.startsWith("file:") ? name.substring("file:".length()) : name;
        Path p = Path.of(n);
        return p.isAbsolute() ? p : overlay.toAbsolutePath().getParent().resolve(p);
    }
}
