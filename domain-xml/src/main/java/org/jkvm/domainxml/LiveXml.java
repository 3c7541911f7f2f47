package org.jkvm.domainxml;

import java.nio.file.Path;

import org.jkvm.domainxml.model.CharSource;
import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Console;

/**
 * The XML of a running domain: the definition plus runtime facts (the domain id and where the serial port's output
 * goes), as libvirt shows with {@code virsh dumpxml} on an active domain. {@link DomainDefinition#persistent()}
 * removes these facts again, so they never reach the {@link DomainStore}.
 */
public final class LiveXml {
    private LiveXml() {
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
