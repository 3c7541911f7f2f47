package org.jkvm.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** The image formats jkvm opens, in QEMU's {@code format=} spellings. */
public enum ImageFormat {
    /** A plain file (or block device) whose bytes are the disk's bytes. */
    RAW,
    /** QEMU's copy-on-write format, versions 2 and 3 (docs/interop/qcow2.txt in QEMU's sources). */
    QCOW2;

    /** The first four bytes of a qcow2 file, "QFI\xfb", big-endian. */
    static final int QCOW2_MAGIC = 0x514649fb;

    /** QEMU's spelling: {@code raw} or {@code qcow2}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses QEMU's spelling of a {@code format=} value.
     *
     * @throws BlockException naming the supported formats when {@code value} is another one
     */
    public static ImageFormat parse(String value) {
        for (ImageFormat f : values()) {
            if (f.spelling().equals(value)) {
                return f;
            }
        }
        throw new BlockException(BlockException.Kind.UNSUPPORTED, "image format '" + value
                + "' is not supported; use raw or qcow2 (qemu-img convert -O qcow2 converts other formats)");
    }

    /**
     * Guesses the format of a file from its first bytes, as QEMU does for a backing file without a recorded
     * format: the qcow2 magic means qcow2, anything else raw. Never guess the format of a writable disk from
     * the guest's own bytes: a guest could write the magic into a raw disk; name the format instead.
     */
    public static ImageFormat probe(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // keep reading: a short read on a regular file only happens at its end
            }
            return b.position() == 4 && b.getInt(0) == QCOW2_MAGIC ? QCOW2 : RAW;
        } catch (IOException e) {
            throw new BlockException(BlockException.Kind.IO, "cannot read " + file + " to find its format: "
                    + e.getMessage() + "; check the path and its permissions", e);
        }
    }
}
