package org.jkvm.engine.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.jkvm.block.CacheMode;
import org.jkvm.block.ImageFormat;
import org.jkvm.engine.EngineException;
import org.junit.jupiter.api.Test;

/** {@code -drive}, {@code -device virtio-blk-pci} and {@code -snapshot} in QEMU's spellings. */
class DiskOptionsTest {
    @Test
    void driveAndDeviceResolveToDisksOnSlots() {
        DiskOptions o = DiskOptions.parse(List.of(
                "file=/img/a.qcow2,format=qcow2,if=none,id=drive-virtio-disk0,cache=none,readonly=on,serial=S1",
                "file=/img/b,,c.raw,format=raw,if=virtio"),
                List.of("virtio-blk-pci,drive=drive-virtio-disk0,id=virtio-disk0,addr=0x7"), true);
        assertTrue(o.snapshot());
        assertEquals(2, o.disks().size());
        DriveOptions a = o.disks().get(0).drive();
        assertEquals(new DriveOptions("drive-virtio-disk0", Path.of("/img/a.qcow2"), ImageFormat.QCOW2, "none",
                CacheMode.NONE, true, "S1", false), a);
        assertEquals(7, o.disks().get(0).slot());
        DriveOptions b = o.disks().get(1).drive();
        assertEquals("virtio0", b.id(), "QEMU's name for the first if=virtio drive");
        assertEquals(Path.of("/img/b,c.raw"), b.file(), "a doubled comma is a comma");
        assertEquals(CacheMode.WRITEBACK, b.cache());
        assertEquals(-1, o.disks().get(1).slot());
        assertEquals(4, DiskOptions.parseAddr("4"));
        assertEquals(0x1f, DiskOptions.parseAddr("1f.0"));
    }

    private static String error(List<String> drives, List<String> devices) {
        return assertThrows(EngineException.class, () -> DiskOptions.parse(drives, devices, false)).getMessage();
    }

    @Test
    void badOptionsGetOneSentenceEach() {
        assertEquals("-drive file=/a has no format=; give format=raw or format=qcow2 (jkvm does not guess a "
                + "writable disk's format from its contents)", error(List.of("file=/a"), List.of()));
        assertTrue(error(List.of("file=/a,format=vmdk,if=virtio"), List.of()).contains("'vmdk' is not supported"));
        assertTrue(error(List.of("file=/a,format=raw,if=ide"), List.of()).startsWith("-drive if=ide is not "
                + "supported"));
        assertTrue(error(List.of("file=/a,format=raw,if=virtio,aio=native"), List.of()).contains("'aio' is not "
                + "supported"));
        assertTrue(error(List.of("file=/a,format=raw,if=virtio,cache=fast"), List.of()).contains("cache mode 'fast'"));
        assertTrue(error(List.of("file=/a,format=raw,id=x"), List.of()).contains("attached to no device"));
        assertTrue(error(List.of("file=/a,format=raw,id=x"), List.of("virtio-blk-pci,drive=y"))
                .contains("drive 'y', which no -drive defines"));
        assertTrue(error(List.of("file=/a,format=raw,id=x"), List.of("e1000,drive=x")).contains("is not supported"));
        assertTrue(error(List.of("file=/a,format=raw,id=x", "file=/b,format=raw,id=y"),
                List.of("virtio-blk-pci,drive=x,addr=3", "virtio-blk-pci,drive=y,addr=3")).contains("slot 3 is taken"));
        assertTrue(error(List.of("file=/a,format=raw,id=x"), List.of("virtio-blk-pci,drive=x,addr=0x20"))
                .contains("give a slot from 1 to 0x1f"));
        assertTrue(error(List.of("file=/a,format=raw,id=x,readonly=yes"), List.of("virtio-blk-pci,drive=x"))
                .contains("readonly=yes is not on or off"));
        assertTrue(error(List.of("file=/a,format=raw,id=x", "file=/b,format=raw,id=x"), List.of())
                .contains("two -drive options have id=x"));
    }
}
