package org.jkvm.domainxml;

import java.nio.file.Path;
import java.util.List;

import org.jkvm.domainxml.model.BackingStore;
import org.jkvm.domainxml.model.CharSource;
import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Console;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.domainxml.model.DiskFormat;
import org.jkvm.domainxml.model.DiskSource;

/**
 * The XML of a running domain: the definition plus runtime facts (the domain id and where the serial port's output
 * goes), as libvirt shows with {@code virsh dumpxml} on an active domain. {@link DomainDefinition#persistent()}
 * removes these facts again, so they never reach the {@link DomainStore}. With a {@link Chains} reader the disks also
 * show their backing chains as libvirt reports them for a running domain: under each file disk's {@code <source>}
 * (which gets an {@code index}) a nested {@code <backingStore type='file' index='N'>} per backing image with its
 * {@code <format>} and {@code <source file>}, ended by an empty {@code <backingStore/>}; indexes count up from the
 * bottom of each chain, disk after disk in document order (as libvirt's qemuxml2xml active outputs number them).
 */
public final class LiveXml {
    /** One image below a disk's top image, as detected from the image files. */
    public record Backing(String format, String file) {
    }

    /** Reads a disk's backing chain from its image files. */
    @FunctionalInterface
    public interface Chains {
        /**
         * The images below {@code file} (top first below it, the base last); empty for an image without one.
         *
         * @param format the top image's format ({@code raw}, {@code qcow2})
         * @return null when the chain cannot be read (the disk is then shown as defined)
         */
        List<Backing> below(String file, String format);
    }

    private LiveXml() {
    }

    /** The live definition with every file disk's backing chain read by {@code chains}. */
    public static DomainDefinition of(DomainDefinition def, int id, Path serial, Chains chains) {
        DomainDefinition live = of(def, id, serial);
        int index = 0;
        for (Disk d : live.devices(Disk.class)) {
            if (d.source == null || d.source.file == null || (d.type != null && !"file".equals(d.type))) {
                continue;
            }
            String format = d.driver == null || d.driver.type == null ? "raw" : d.driver.type;
            List<Backing> below = chains.below(d.source.file, format);
            if (below == null) {
                continue;
            }
            BackingStore next = new BackingStore(); // the empty element that ends a chain
            for (int i = below.size() - 1; i >= 0; i--) {
                BackingStore b = new BackingStore();
                b.type = "file";
                b.index = Integer.toString(++index);
                b.format = new DiskFormat();
                b.format.type = below.get(i).format();
                b.source = new DiskSource();
                b.source.file = below.get(i).file();
                b.backingStore = next;
                next = b;
            }
            d.source.index = Integer.toString(++index);
            d.backingStore = next;
        }
        return live;
    }

    /** The live XML text, with backing chains. */
    public static String format(DomainDefinition def, int id, Path serial, Chains chains) {
        return DomainXml.format(of(def, id, serial, chains));
    }

    /**
     * The live definition.
     *
     * @param def    the persistent definition
     * @param id     the running domain's id (positive)
     * @param serial where COM1 writes: for a {@code pty} port the stand-in log file (shown as the pty path and the
     *               console {@code tty}); ignored for other types, whose path is in the definition
     */
    public static DomainDefinition of(DomainDefinition def, int id, Path serial) {
        DomainDefinition live = def.copy();
        live.model().id = Integer.toString(id);
        Chardev com1 = JkvmSupport.com1(live.model());
        if (com1 != null && (com1.type == null || "pty".equals(com1.type)) && serial != null) {
            setPath(com1, serial.toString());
            for (Console c : live.devices(Console.class)) {
                if (c != com1 && (c.type == null || "pty".equals(c.type))) {
                    setPath(c, serial.toString());
                }
            }
        }
        return live;
    }

    private static void setPath(Chardev c, String path) {
        if (c.sources.isEmpty()) {
            c.sources.add(new CharSource());
        }
        c.sources.get(0).path = path;
        if (c instanceof Console) {
            c.tty = path;
        }
    }

    /** The live XML text. */
    public static String format(DomainDefinition def, int id, Path serial) {
        return DomainXml.format(of(def, id, serial));
    }
}
