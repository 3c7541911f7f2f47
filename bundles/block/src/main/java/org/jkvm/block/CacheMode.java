package org.jkvm.block;

import java.util.Locale;

/**
 * How an image file is opened and when its writes reach stable storage, in QEMU's {@code cache=} spellings.
 *
 * <table>
 * <caption>open flags and flush</caption>
 * <tr><th>mode</th><th>page cache</th><th>each write</th><th>{@code flush()}</th></tr>
 * <tr><td>{@code none}</td><td>bypassed ({@code O_DIRECT})</td><td>-</td><td>{@code fdatasync}</td></tr>
 * <tr><td>{@code writeback}</td><td>used</td><td>-</td><td>{@code fdatasync}</td></tr>
 * <tr><td>{@code writethrough}</td><td>used</td><td>synced ({@code O_DSYNC})</td><td>{@code fdatasync}</td></tr>
 * <tr><td>{@code directsync}</td><td>bypassed</td><td>synced</td><td>{@code fdatasync}</td></tr>
 * <tr><td>{@code unsafe}</td><td>used</td><td>-</td><td>ignored</td></tr>
 * </table>
 *
 * <p>With {@code none} and {@code directsync} every transfer must be aligned to the device's logical block; the
 * image layer handles unaligned requests with aligned bounce buffers, so callers need not care (aligned direct
 * buffers avoid the copy).
 */
public enum CacheMode {
    /** {@code O_DIRECT}; flush is {@code fdatasync} (the device's volatile cache still needs it). */
    NONE(true, false, true),
    /** The page cache; flush is {@code fdatasync}. The default, as in QEMU. */
    WRITEBACK(false, false, true),
    /** The page cache with {@code O_DSYNC}: a write returns once it is stable. */
    WRITETHROUGH(false, true, true),
    /** {@code O_DIRECT} and {@code O_DSYNC}. */
    DIRECTSYNC(true, true, true),
    /** The page cache, and flush does nothing: fast, and a host crash may lose or corrupt the image. */
    UNSAFE(false, false, false);

    private final boolean direct;
    private final boolean syncEachWrite;
    private final boolean flushes;

    CacheMode(boolean direct, boolean syncEachWrite, boolean flushes) {
        this.direct = direct;
        this.syncEachWrite = syncEachWrite;
        this.flushes = flushes;
    }

    /** Whether the file is opened with {@code O_DIRECT}. */
    public boolean direct() {
        return direct;
    }

    /** Whether the file is opened with {@code O_DSYNC}, so each write is stable when it returns. */
    public boolean syncEachWrite() {
        return syncEachWrite;
    }

    /** Whether {@code flush()} and the image's ordering barriers call {@code fdatasync}. */
    public boolean flushes() {
        return flushes;
    }

    /** QEMU's spelling ({@code none}, {@code writeback}, ...). */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses QEMU's spelling of a {@code cache=} value.
     *
     * @throws BlockException naming the accepted values when {@code value} is none of them
     */
    public static CacheMode parse(String value) {
        for (CacheMode m : values()) {
            if (m.spelling().equals(value)) {
                return m;
            }
        }
        throw new BlockException(BlockException.Kind.INVALID_REQUEST, "cache mode '" + value
                + "' is not known; use none, writeback, writethrough, directsync or unsafe");
    }
}
