package org.jkvm.loader;

import java.util.List;
import java.util.Objects;

/**
 * What to boot: QEMU's {@code -kernel}, {@code -initrd} and {@code -append}.
 *
 * @param kernel     the kernel file's bytes
 * @param kernelName the kernel's name as given on the command line (multiboot puts it first on the kernel's
 *                   command line, as QEMU does) or a description of the bundled firmware
 * @param modules    the {@code -initrd} files, in order (may be empty)
 * @param cmdline    the command line ({@code -append}; may be empty)
 * @param vcpus      the number of vCPUs the ACPI tables describe
 */
public record BootRequest(byte[] kernel, String kernelName, List<Module> modules, String cmdline, int vcpus) {
    /** Copies the list and checks for nulls. */
    public BootRequest {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(kernelName, "kernelName");
        Objects.requireNonNull(cmdline, "cmdline");
        modules = List.copyOf(modules);
    }

    /** Total size of the modules in bytes. */
    long moduleBytes() {
        long n = 0;
        for (Module m : modules) {
            n += m.data().length;
        }
        return n;
    }
}
