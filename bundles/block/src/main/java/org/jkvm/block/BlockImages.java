package org.jkvm.block;

import java.nio.file.Path;
import java.util.Optional;

/** Opens and creates disk images: the entry point of this package. */
public final class BlockImages {
    private BlockImages() {
    }

    /**
     * Opens an image with its backing chain, as {@code -drive file=PATH,format=...,cache=...,readonly=...} does, or
     * with a temporary overlay for {@code -snapshot}. A read-write image holds the write lock (QEMU's lock bytes)
     * from here to {@link BlockImage#close()}, unless opened inactive.
     *
     * @throws BlockException {@code LOCKED} when another process holds the image (nothing is opened then),
     *                        {@code CORRUPT} or {@code UNSUPPORTED} for an image jkvm cannot use (nothing is
     *                        written to it), {@code IO} when the file cannot be opened
     */
    public static BlockImage open(Path path, OpenOptions options) {
        ActivationRehearsal.startOnce(options); // a migration destination: warm the handover's activation
        if (options.snapshot() && !options.readOnly()) {
            return SnapshotImage.open(path, options);
        }
        return BackingChain.open(path, options);
    }

    /**
     * Creates a new qcow2 version 3 image, as {@code qemu-img create -f qcow2 [-b BACKING -F FORMAT] PATH SIZE}.
     *
     * @param clusterBytes  a power of two from 512 to 2 MiB (QEMU's default: 65536)
     * @param backingFile   the backing file name to record, as given (a relative name is relative to the new
     *                      image's directory), or null for none
     * @param backingFormat the backing file's format (recorded), or null without a backing file
     * @throws BlockException when the file exists, the size is too large for the cluster size or the file system
     */
    public static void createQcow2(Path path, long sizeBytes, int clusterBytes, String backingFile,
                                   ImageFormat backingFormat) {
        if (Integer.bitCount(clusterBytes) != 1) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "cluster size " + clusterBytes + " is not "
                    + "a power of two; use 512 bytes to 2 MiB, e.g. 65536");
        }
        if ((backingFile == null) != (backingFormat == null)) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "a backing file needs its format and a "
                    + "format needs a backing file (qemu-img create -b FILE -F FORMAT)");
        }
        Qcow2Creator.create(path, sizeBytes, Integer.numberOfTrailingZeros(clusterBytes), backingFile, backingFormat);
    }

    /**
     * Who holds {@code image} for writing (QEMU's write-permission lock byte), if anyone: "QEMU, pid 123
     * qemu-system-x86", "jkvm, pid 456", or "QEMU or jkvm" when the holder cannot be identified. Takes no lock; an
     * engine uses it to refuse {@code -incoming} on an image some other engine writes before opening anything.
     */
    public static Optional<String> writeLockHolder(Path image) {
        try (ImageFile f = ImageFile.open(image, true, CacheMode.WRITEBACK)) {
            if (!ImageLock.writeHeldByOthers(f)) {
                return Optional.empty();
            }
            return Optional.of(LockHolders.describe(image, f.fd(), 101));
        }
    }
}
