package org.jkvm.firmware;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The bundled jkvm guest firmware ({@code src/firmware/jkvm-fw.elf}, carried as the classpath resource
 * {@value #RESOURCE}).
 *
 * <p>The image is a 32-bit ELF with a multiboot (v1) header, so QEMU boots it with {@code -kernel}, and a jkvm
 * boot header whose {@code entry64} the jkvm engine enters in long mode (docs/contracts.md section 1). The
 * first serial line it prints starts with {@code "jkvm-fw " + VERSION}.
 *
 * <p>Thread-safety: all methods may be called from any thread; the bytes are read once and each caller gets
 * its own copy.
 */
public final class Firmware {
    /** The firmware version, as printed at the start of its first serial line ({@code jkvm-fw 1.0 ...}). */
    public static final String VERSION = "1.0";

    /** The file name of the image, in the repository and when extracted. */
    public static final String FILE_NAME = "jkvm-fw.elf";

    /** Where the image lives on the classpath. */
    public static final String RESOURCE = "/org/jkvm/firmware/" + FILE_NAME;

    private Firmware() {
    }

    /**
     * The firmware image, exactly as committed.
     *
     * @return a fresh copy of the ELF file's bytes
     * @throws FirmwareException when the resource is missing from the bundle (a broken build)
     */
    public static byte[] image() {
        return Holder.IMAGE.clone();
    }

    /**
     * Writes the image to {@code dir/}{@value #FILE_NAME}, creating {@code dir} if needed. The file is written
     * to a temporary name first and then moved into place, so a concurrent reader never sees half an image.
     *
     * @param dir the folder to write into
     * @return the path of the written image
     * @throws FirmwareException when the folder or file cannot be written
     */
    public static Path extractTo(Path dir) {
        Path target = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, FILE_NAME, ".tmp");
            try {
                Files.write(tmp, Holder.IMAGE);
                moveIntoPlace(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new FirmwareException("cannot write the jkvm firmware to " + target + " (" + e
                    + "); choose a writable folder", e);
        }
        return target;
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static byte[] load() {
        try (InputStream in = Firmware.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new FirmwareException("the jkvm firmware resource " + RESOURCE
                        + " is missing from the firmware bundle; rebuild with mvn install -pl bundles/firmware", null);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new FirmwareException("cannot read the jkvm firmware resource " + RESOURCE
                    + "; rebuild with mvn install -pl bundles/firmware", e);
        }
    }

    /** Lazy holder: the resource is read on first use. */
    private static final class Holder {
        static final byte[] IMAGE = load();
    }
}
