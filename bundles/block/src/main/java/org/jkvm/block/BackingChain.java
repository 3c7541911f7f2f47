package org.jkvm.block;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Opens an image and its backing files, as QEMU resolves them: a relative backing file name is relative to the
 * directory of the image that names it (as that image was named, symbolic links not followed), the format is the
 * one the overlay records (or, when it records none, probed: qcow2 magic or raw), and every backing file is opened
 * read-only with the overlay's cache mode. A chain that comes back to a file it already holds, or is deeper than
 * {@link #MAX_DEPTH}, is refused before anything is written.
 */
final class BackingChain {
    /** Backing files below the top image at most. */
    static final int MAX_DEPTH = 64;
    /** "nbd:host:port", "http://...": a protocol prefix (letters before a colon, no slash before it). */
    private static final Pattern PROTOCOL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private final Path top;
    private final List<Path> seen = new ArrayList<>();

    private BackingChain(Path top) {
        this.top = top;
    }

    /** Opens {@code path} per {@code o} with its whole backing chain. */
    static BlockImage open(Path path, OpenOptions o) {
        return new BackingChain(path).level(path, o, 0);
    }

    private BlockImage level(Path path, OpenOptions o, int depth) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new BlockException(BlockException.Kind.IO, (depth == 0 ? "image " : "backing file ") + path
                    + " does not exist; check the path" + (depth == 0 ? "" : " recorded in its overlay (qemu-img info "
                    + "shows it; qemu-img rebase -u -b NEW fixes it)"), e);
        } catch (IOException e) {
            throw new BlockException(BlockException.Kind.IO, "cannot resolve image path " + path + ": " + e
                    + "; check the path and its permissions", e);
        }
        if (seen.contains(real)) {
            StringBuilder chain = new StringBuilder();
            for (Path p : seen) {
                chain.append(p).append(" -> ");
            }
            throw new BlockException(BlockException.Kind.CORRUPT, "the backing chain of " + top + " loops (" + chain
                    + real + "); nothing was written, point the last image at the right backing file with qemu-img "
                    + "rebase -u -b FILE -F FORMAT");
        }
        if (depth > MAX_DEPTH) {
            throw new BlockException(BlockException.Kind.UNSUPPORTED, "the backing chain of " + top + " is deeper "
                    + "than " + MAX_DEPTH + " backing files; nothing was written, shorten it with qemu-img commit or "
                    + "qemu-img convert");
        }
        seen.add(real);
        return switch (o.format()) {
            case RAW -> RawImage.open(path, o);
            case QCOW2 -> Qcow2Image.open(path, o, this::openBacking, depth);
        };
    }

    /** Opens the backing file {@code h} names for {@code overlay}, one level deeper. */
    private BlockImage openBacking(Path overlay, Qcow2Header h, OpenOptions o, int depth) {
        Path p = resolve(overlay, h.backingFile());
        ImageFormat f;
        if (h.backingFormat() == null) {
            f = p.toFile().exists() ? ImageFormat.probe(p) : ImageFormat.RAW;
        } else {
            f = ImageFormat.parse(h.backingFormat());
        }
        OpenOptions bo = new OpenOptions(f, true, o.cache(), false, o.inactive(), o.forceShare(), o.tempDir());
        return level(p, bo, depth + 1);
    }

    /** Where a backing file name points, relative names taken from the overlay's directory. */
    static Path resolve(Path overlay, String name) {
        String n = name.startsWith("file:") ? name.substring("file:".length()) : name;
        int slash = n.indexOf('/');
        if (n.startsWith("json:") || (PROTOCOL.matcher(n).find() && (slash < 0 || slash > n.indexOf(':')))) {
            throw new BlockException(BlockException.Kind.UNSUPPORTED, "the backing file of " + overlay + " is '"
                    + name + "', a protocol jkvm does not open; point it at a plain file with qemu-img rebase -u -b "
                    + "FILE -F FORMAT " + overlay);
        }
        Path p = Path.of(n);
        if (p.isAbsolute()) {
            return p;
        }
        Path dir = overlay.toAbsolutePath().getParent();
        return dir.resolve(p);
    }

    /** Opens a backing file for an overlay; the chain's or a fixed one (a -snapshot overlay's base). */
    @FunctionalInterface
    interface Opener {
        /** The backing image of {@code overlay}, whose header is {@code h}, at {@code depth} below the top. */
        BlockImage open(Path overlay, Qcow2Header h, OpenOptions o, int depth);
    }
}
