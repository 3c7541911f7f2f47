package org.jkvm.block;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open an image, in the terms of QEMU's {@code -drive} options.
 *
 * @param format     the image's format ({@code format=}); never guessed for the image itself
 * @param readOnly   {@code readonly=on}: opened {@code O_RDONLY}, writes refused, a reader's locks
 * @param cache      {@code cache=}
 * @param snapshot   {@code -snapshot}: writes go to a temporary qcow2 overlay in {@code tempDir}, deleted from the
 *                   directory as soon as it is open and gone with {@link BlockImage#close()}; the image itself is
 *                   opened read-only. Ignored when {@code readOnly} (as QEMU does)
 * @param inactive   open for a migration destination: no lock bytes taken, no I/O until
 *                   {@link BlockImage#activate()}, which takes the locks and reads the metadata afresh
 * @param forceShare QEMU's {@code force-share=on} ({@code qemu-img -U}): read-only, and no lock bytes taken at
 *                   all, so it works while another process writes the image (and may read torn metadata)
 * @param tempDir    where a {@code snapshot} overlay is made; null means {@code java.io.tmpdir}
 */
public record OpenOptions(ImageFormat format, boolean readOnly, CacheMode cache, boolean snapshot,
                          boolean inactive, boolean forceShare, Path tempDir) {
    /** Checks the combination once, so later code may rely on it. */
    public OpenOptions {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(cache, "cache");
        if (forceShare && !readOnly) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST,
                    "force-share=on needs readonly=on: sharing an image with its writer is only safe for reading");
        }
    }

    /** Read-write, {@code cache=writeback}, active, no snapshot: what {@code -drive file=F,format=X} means. */
    public static OpenOptions of(ImageFormat format) {
        return new OpenOptions(format, false, CacheMode.WRITEBACK, false, false, false, null);
    }

    /** These options with {@code readonly} set. */
    public OpenOptions withReadOnly(boolean value) {
        return new OpenOptions(format, value, cache, snapshot, inactive, forceShare, tempDir);
    }

    /** These options with another cache mode. */
    public OpenOptions withCache(CacheMode value) {
        return new OpenOptions(format, readOnly, value, snapshot, inactive, forceShare, tempDir);
    }

    /** These options with {@code -snapshot} set or cleared. */
    public OpenOptions withSnapshot(boolean value) {
        return new OpenOptions(format, readOnly, cache, value, inactive, forceShare, tempDir);
    }

    /** These options for a migration destination ({@code value} true) or a normal start. */
    public OpenOptions withInactive(boolean value) {
        return new OpenOptions(format, readOnly, cache, snapshot, value, forceShare, tempDir);
    }

    /** These options with {@code force-share} set (implies read-only). */
    public OpenOptions withForceShare(boolean value) {
        return new OpenOptions(format, readOnly || value, cache, snapshot, inactive, value, tempDir);
    }

    /** These options with another format (for a backing file). */
    public OpenOptions withFormat(ImageFormat value) {
        return new OpenOptions(value, readOnly, cache, snapshot, inactive, forceShare, tempDir);
    }

    /** These options with a directory for {@code -snapshot} overlays. */
    public OpenOptions withTempDir(Path value) {
        return new OpenOptions(format, readOnly, cache, snapshot, inactive, forceShare, value);
    }
}
