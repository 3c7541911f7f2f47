package org.jkvm.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * QEMU's {@code -snapshot}: the image (and its chain) is opened read-only, and the guest's writes go to a new qcow2
 * overlay in a temporary directory. The overlay's name is removed from the directory as soon as it is open, so it
 * disappears with the descriptor at {@link #close()} or when the process dies, killed or not. Nothing the guest
 * writes reaches the image. The overlay is opened {@code cache=unsafe}: its content is discarded anyway, so syncing
 * it would only cost time.
 *
 * <p>A guest on such a disk cannot migrate: the destination cannot see the overlay ({@link #temporaryOverlay()}).
 */
final class SnapshotImage implements BlockImage {
    private final Path path;
    private final BlockImage base;
    private final Qcow2Image overlay;

    private SnapshotImage(Path path, BlockImage base, Qcow2Image overlay) {
        this.path = path;
        this.base = base;
        this.overlay = overlay;
    }

    /** Opens {@code path} read-only and a temporary overlay over it in {@code o.tempDir()}. */
    static SnapshotImage open(Path path, OpenOptions o) {
        BlockImage base = BackingChain.open(path, o.withSnapshot(false).withReadOnly(true));
        try {
            Path dir = o.tempDir() != null ? o.tempDir() : Path.of(System.getProperty("java.io.tmpdir"));
            Path tmp = create(dir, base);
            Qcow2Image ov;
            try {
                OpenOptions oo = new OpenOptions(ImageFormat.QCOW2, false, CacheMode.UNSAFE, false, o.inactive(),
                        false, null);
                ov = Qcow2Image.open(tmp, oo, (overlayPath, h, opts, depth) -> base, 0);
            } finally {
                deleteQuietly(tmp);
            }
            return new SnapshotImage(path, base, ov);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    private static Path create(Path dir, BlockImage base) {
        SecureRandom random = new SecureRandom();
        String backing;
        try {
            backing = base.path().toRealPath().toString();
        } catch (IOException e) {
            backing = base.path().toAbsolutePath().toString();
        }
        for (int attempt = 0; ; attempt++) {
            byte[] id = new byte[8];
            random.nextBytes(id);
            Path tmp = dir.resolve("jkvm-snapshot-" + HexFormat.of().formatHex(id) + ".qcow2");
            try {
                Qcow2Creator.create(tmp, base.sizeBytes(), 16, backing, base.format());
                return tmp;
            } catch (BlockException e) {
                if (!Files.exists(tmp) || attempt > 10) {
                    throw new BlockException(e.kind(), "cannot make the -snapshot overlay for " + base.path() + " in "
                            + dir + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // the overlay is unusable to anyone else without its name; at worst a stray file remains
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ImageFormat format() {
        return base.format();
    }

    @Override
    public long sizeBytes() {
        return base.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public CacheMode cacheMode() {
        return base.cacheMode();
    }

    @Override
    public Optional<BlockImage> backing() {
        return base.backing();
    }

    @Override
    public boolean temporaryOverlay() {
        return true;
    }

    @Override
    public boolean active() {
        return overlay.active();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        RawImage.checkRequest(path, true, false, false, offset, dst.remaining(), sizeBytes());
        overlay.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        RawImage.checkRequest(path, true, false, false, offset, src.remaining(), sizeBytes());
        overlay.write(offset, src);
    }

    @Override
    public void flush() {
        overlay.flush();
    }

    @Override
    public void activate() {
        overlay.activate();
    }

    @Override
    public void inactivate() {
        overlay.inactivate();
    }

    /** Closes the overlay (which disappears) and the image under it. */
    @Override
    public void close() {
        overlay.close();
    }

    @Override
    public String toString() {
        return "-snapshot overlay over " + base;
    }
}
