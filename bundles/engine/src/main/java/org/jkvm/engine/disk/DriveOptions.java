package org.jkvm.engine.disk;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.jkvm.block.BlockException;
import org.jkvm.block.CacheMode;
import org.jkvm.block.ImageFormat;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.QemuOptions;

/**
 * One {@code -drive} in QEMU's spelling: {@code file=PATH,format=raw|qcow2,if=virtio|none,cache=MODE,readonly=on,
 * id=ID,serial=S,media=disk,snapshot=on}. A comma inside a value is written twice, as QEMU wants.
 *
 * @param id       the drive id ({@code id=}; {@code virtioN} for the N-th {@code if=virtio} drive without one)
 * @param file     the image file
 * @param format   its format (required: a format guessed from a guest-writable disk's bytes is unsafe)
 * @param iface    {@code virtio} (the drive gets its own virtio-blk-pci device) or {@code none} (a {@code -device}
 *                 names it); null when not given, which QEMU reads as IDE and this engine accepts only for a drive a
 *                 {@code -device} names
 * @param cache    the cache mode ({@code cache=}, default writeback)
 * @param readOnly {@code readonly=on}
 * @param serial   the id string the guest reads with VIRTIO_BLK_T_GET_ID ({@code serial=}), empty when not given
 * @param snapshot {@code snapshot=on}: writes go to a temporary overlay, as with {@code -snapshot}
 */
public record DriveOptions(String id, Path file, ImageFormat format, String iface, CacheMode cache, boolean readOnly,
        String serial, boolean snapshot) {
    private static final Set<String> KEYS = Set.of("file", "format", "if", "cache", "readonly", "id", "serial",
            "media", "snapshot");

    /**
     * Parses one {@code -drive} value; {@code virtioIndex} names an {@code if=virtio} drive given without an id.
     *
     * @throws EngineException naming the option and the bad key or value
     */
    public static DriveOptions parse(String value, int virtioIndex) {
        Map<String, String> kv = QemuOptions.keyValues("-drive", value, KEYS);
        String file = kv.get("file");
        if (file == null || file.isEmpty()) {
            throw new EngineException("-drive " + value + " has no file=; give file=PATH");
        }
        String fmt = kv.get("format");
        if (fmt == null) {
            throw new EngineException("-drive " + value + " has no format=; give format=raw or format=qcow2 (jkvm "
                    + "does not guess a writable disk's format from its contents)");
        }
        String iface = kv.get("if");
        if (iface != null && !iface.equals("virtio") && !iface.equals("none")) {
            throw new EngineException("-drive if=" + iface + " is not supported; use if=virtio, or if=none with "
                    + "-device virtio-blk-pci,drive=ID");
        }
        String media = kv.getOrDefault("media", "disk");
        if (!media.equals("disk")) {
            throw new EngineException("-drive media=" + media + " is not supported; jkvm has disks only (media=disk)");
        }
        String id = kv.getOrDefault("id", "virtio".equals(iface) ? "virtio" + virtioIndex : null);
        if (id == null || id.isEmpty()) {
            throw new EngineException("-drive " + value + " has no id=; give id=ID so a -device can name it");
        }
        try {
            return new DriveOptions(id, Path.of(file), ImageFormat.parse(fmt), iface,
                    kv.containsKey("cache") ? CacheMode.parse(kv.get("cache")) : CacheMode.WRITEBACK,
                    onOff("readonly", kv.get("readonly")), kv.getOrDefault("serial", ""),
                    onOff("snapshot", kv.get("snapshot")));
        } catch (BlockException e) {
            throw new EngineException("-drive " + id + ": " + e.getMessage(), e);
        }
    }

    static boolean onOff(String key, String v) {
        if (v == null || v.equals("off") || v.equals("false")) {
            return false;
        }
        if (v.equals("on") || v.equals("true")) {
            return true;
        }
        throw new EngineException(key + "=" + v + " is not on or off; give " + key + "=on or " + key + "=off");
    }
}
