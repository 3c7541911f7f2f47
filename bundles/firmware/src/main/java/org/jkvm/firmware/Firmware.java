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

    /**
     * The file name of the 32-bit build ({@code src/firmware/jkvm-fw32.elf}): the same C compiled for i386, with
     * only a multiboot header, so every loader enters it in 32-bit protected mode without paging. Its first line
     * ends with {@code bits=32}.
     */
    public static final String FILE_NAME_32 = "jkvm-fw32.elf";

    /** Where the 32-bit image lives on the classpath. */
    public static final String RESOURCE_32 = "/org/jkvm/firmware/" + FILE_NAME_32;

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
     * The 32-bit firmware image ({@link #FILE_NAME_32}), exactly as committed.
     *
     * @return a fresh copy of the ELF file's bytes
     * @throws FirmwareException when the resource is missing from the bundle (a broken build)
     */
    public static byte[] image32() {
        return Holder32.IMAGE.clone();
    }

    /**
     * Writes the 32-bit image to {@code dir/}{@value #FILE_NAME_32}, as {@link #extractTo} does the 64-bit one.
     *
     * @return the path of the written image
     * @throws FirmwareException when the folder or file cannot be written
     */
    public static Path extract32To(Path dir) {
        return extract(dir, FILE_NAME_32, Holder32.IMAGE);
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
        return extract(dir, FILE_NAME, Holder.IMAGE);
    }

    private static Path extract(Path dir, String name, byte[] image) {
        Path target = dir.resolve(name);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            try {
                Files.write(tmp, image);
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
        return load(RESOURCE);
    }

    private static byte[] load(String resource) {
        try (InputStream in = Firmware.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new FirmwareException("the jkvm firmware resource " + resource
                        + " is missing from the firmware bundle; rebuild with mvn install -pl bundles/firmware", null);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new FirmwareException("cannot read the jkvm firmware resource " + resource
                    + "; rebuild with mvn install -pl bundles/firmware", e);
        }
    }

    /** Lazy holder: the resource is read on first use. */
    private static final class Holder {
        static final byte[] IMAGE = load();
    }

    /** Lazy holder of the 32-bit image. */
    private static final class Holder32 {
        static final byte[] IMAGE = load(RESOURCE_32);
    }
}
