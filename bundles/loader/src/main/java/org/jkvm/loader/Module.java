package org.jkvm.loader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One file of {@code -initrd}: a Linux initrd, a PVH module, or a multiboot module with its string.
 *
 * @param spec the whole specification as given, e.g. {@code "initrd.img"} or, for multiboot, {@code "mod.bin arg1"}
 *             (QEMU passes it unchanged as the module's string)
 * @param data the file's bytes
 */
public record Module(String spec, byte[] data) {
    /** Largest module file accepted, in bytes. */
    public static final long MAX_BYTES = 1L << 30;

    /** The file name: the specification up to its first space. */
    public String path() {
        int space = spec.indexOf(' ');
        return space < 0 ? spec : spec.substring(0, space);
    }

    /**
     * Reads every file of an {@code -initrd} value, split by the caller as QEMU splits it (at single commas: the
     * command line's syntax, not the loader's).
     *
     * @param value the option as given, for error sentences
     * @param specs its specifications, each a file name optionally followed by a space and arguments
     * @throws LoaderException naming an empty specification or a missing, unreadable or oversized file
     */
    public static List<Module> readAll(String value, List<String> specs) {
        for (String s : specs) {
            if (s.isBlank() || s.startsWith(" ")) {
                throw new LoaderException("-initrd " + value + " has an empty file name; separate files with single "
                        + "commas, as in -initrd a.img,b.img");
            }
        }
        List<Module> modules = new ArrayList<>();
        for (String spec : specs) {
            String path = spec.indexOf(' ') < 0 ? spec : spec.substring(0, spec.indexOf(' '));
            modules.add(new Module(spec, Images.read(Path.of(path), "initrd file", "-initrd", MAX_BYTES)));
        }
        return List.copyOf(modules);
    }
}
