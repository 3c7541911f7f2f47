package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A raw image: the file's bytes are the disk's bytes, its size the disk's size (fixed at open; others may not
 * resize it, the lock refuses to share that). Requests go straight to {@code pread}/{@code pwrite}, so any number
 * of threads transfer at once. As a backing file it is opened read-only.
 */
final class RawImage implements BlockImage {
    private final Path path;
    private final OpenOptions options;
    private final ImageFile file;
    private final ImageLock lock;
    private final long sizeBytes;
    private volatile boolean active;
    private volatile boolean closed;

    private RawImage(Path path, OpenOptions options, ImageFile file, ImageLock lock, long sizeBytes) {
        this.path = path;
        this.options = options;
        this.file = file;
        this.lock = lock;
        this.sizeBytes = sizeBytes;
        this.active = !options.inactive();
    }

    /** Opens and (unless inactive or force-share) locks a raw image. */
    static RawImage open(Path path, OpenOptions o) {
        ImageFile f = ImageFile.open(path, o.readOnly(), o.cache());
        try {
            ImageLock lock = new ImageLock(f);
            if (!o.inactive() && !o.forceShare()) {
                lock.apply(o.readOnly() ? ImageLock.Mode.READER : ImageLock.Mode.WRITER);
            }
            return new RawImage(path, o, f, lock, f.size());
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The checks every image makes on a request, in one place so the sentences are the same. */
    static void checkRequest(Path path, boolean active, boolean closed, boolean writeToReadOnly, long offset,
                             long length, long sizeBytes) {
        checkNotClosed(path, closed);
        if (!active) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "image " + path + " is inactive (opened "
                    + "for an incoming migration, or handed over); it serves requests only after activation");
        }
        if (writeToReadOnly) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "image " + path + " is read-only "
                    + "(readonly=on, or a backing file); the write at offset " + offset + " was refused");
        }
        if (offset < 0 || length < 0 || length > sizeBytes - offset) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "a request of " + length + " bytes at "
                    + "offset " + offset + " is outside image " + path + " (" + sizeBytes + " bytes)");
        }
    }

    static void checkNotClosed(Path path, boolean closed) {
        if (closed) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "image " + path + " is closed");
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.RAW;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return options.readOnly();
    }

    @Override
    public CacheMode cacheMode() {
        return options.cache();
    }

    @Override
    public Optional<BlockImage> backing() {
        return Optional.empty();
    }

    @Override
    public boolean temporaryOverlay() {
        return false;
    }

    @Override
    public boolean active() {
        return active && !closed;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        checkRequest(path, active, closed, false, offset, dst.remaining(), sizeBytes);
        file.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        checkRequest(path, active, closed, options.readOnly(), offset, src.remaining(), sizeBytes);
        file.write(offset, src);
    }

    /** A hole punched in the file ({@code fallocate}), or zeros written where the file system cannot. */
    @Override
    public void writeZeroes(long offset, long lengthBytes) {
        checkRequest(path, active, closed, options.readOnly(), offset, lengthBytes, sizeBytes);
        if (!file.punchHole(offset, lengthBytes)) {
            BlockImage.super.writeZeroes(offset, lengthBytes);
        }
    }

    @Override
    public void flush() {
        if (active && !closed && !options.readOnly()) {
            file.flush();
        }
    }

    @Override
    public void activate() {
        checkNotClosed(path, closed);
        if (active) {
            return;
        }
        if (!options.forceShare()) {
            lock.apply(options.readOnly() ? ImageLock.Mode.READER : ImageLock.Mode.WRITER);
        }
        long now = file.size();
        if (now != sizeBytes) {
            lock.apply(ImageLock.Mode.NONE);
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "raw image " + path + " changed size from "
                    + sizeBytes + " to " + now + " bytes while inactive; start the guest again");
        }
        active = true;
    }

    @Override
    public void inactivate() {
        if (!active || closed) {
            return;
        }
        flush();
        lock.apply(ImageLock.Mode.NONE);
        active = false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            file.close();
        }
    }

    @Override
    public String toString() {
        return "raw " + path;
    }
}
