package org.jkvm.loader;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * The memory map of a jkvm guest, the same for every boot path that carries one (Linux, PVH, multiboot):
 *
 * <pre>
 * 0x0000_0000 - 0x0009_FC00  RAM (conventional memory)
 * 0x0009_FC00 - 0x000A_0000  reserved (EBDA)
 * 0x000E_0000 - 0x0010_0000  reserved (the ACPI tables and the BIOS area)
 * 0x0010_0000 - low top      RAM (up to 3 GiB)
 * 0xC000_0000 - 0xFEC0_0000  not listed: the MMIO hole's PCI part (the PCI memory window is at its top)
 * 0xFEC0_0000 - 4 GiB        reserved (I/O APIC, local APIC, KVM's TSS and identity map)
 * 4 GiB       - + high RAM   RAM beyond 3 GiB, when the guest has more
 * </pre>
 *
 * The VGA/ROM window 0xA0000-0xE0000 is left out (neither RAM nor reserved), as BIOSes do; so is the hole below
 * the I/O APIC, as on QEMU's pc: Linux, finding no DMI date, cuts e820-reserved ranges out of the PCI root
 * bridge's windows, which would leave the BARs nowhere to live. Stateless.
 */
public final class E820 {
    private E820() {
    }

    /** The map of {@code memory} (a region at gpa 0 of at least 1 MiB, optionally one at 4 GiB). */
    public static List<E820Entry> of(GuestMemory memory) {
        long low = 0;
        long high = 0;
        for (MemoryRegion r : memory.regions()) {
            if (r.gpa() == 0) {
                low = r.sizeBytes();
            } else if (r.gpa() == X86Layout.HIGH_RAM_START) {
                high = r.sizeBytes();
            }
        }
        return of(low, high);
    }

    /** The map for {@code lowBytes} of RAM at 0 and {@code highBytes} at 4 GiB. */
    public static List<E820Entry> of(long lowBytes, long highBytes) {
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, X86Layout.EBDA_GPA, E820Entry.RAM));
        map.add(new E820Entry(X86Layout.EBDA_GPA, X86Layout.LOW_MEMORY_END - X86Layout.EBDA_GPA,
                E820Entry.RESERVED));
        map.add(new E820Entry(X86Layout.ACPI_GPA, X86Layout.ACPI_END_GPA - X86Layout.ACPI_GPA, E820Entry.RESERVED));
        if (lowBytes > X86Layout.IMAGE_GPA) {
            map.add(new E820Entry(X86Layout.IMAGE_GPA, lowBytes - X86Layout.IMAGE_GPA, E820Entry.RAM));
        }
        map.add(new E820Entry(X86Layout.PCI_WINDOW_END, X86Layout.HIGH_RAM_START - X86Layout.PCI_WINDOW_END,
                E820Entry.RESERVED));
        if (highBytes > 0) {
            map.add(new E820Entry(X86Layout.HIGH_RAM_START, highBytes, E820Entry.RAM));
        }
        return List.copyOf(map);
    }

    /** One past the last byte of RAM below the MMIO hole. */
    public static long lowRamEnd(List<E820Entry> map) {
        long end = 0;
        for (E820Entry e : map) {
            if (e.type() == E820Entry.RAM && e.end() <= X86Layout.MMIO_HOLE_START) {
                end = Math.max(end, e.end());
            }
        }
        return end;
    }
}
