package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** QEMU's option syntax: single commas split, doubled commas are commas, keys checked. */
class QemuOptionsTest {
    @Test
    void doubledCommasAreCommasInsideAPart() {
        assertEquals(List.of("a.img", "b arg,x", "c"), QemuOptions.split("a.img,b arg,,x,c"));
        assertEquals(List.of("a,", ""), QemuOptions.split("a,,,"));
        assertEquals(List.of(""), QemuOptions.split(""));
    }

    @Test
    void keyValuesKeepOrderTakeADriverFirstAndFlagsAsOn() {
        Map<String, String> kv = QemuOptions.keyValues("-device", "virtio-blk-pci,drive=d0,,x,readonly",
                Set.of("drive", "readonly"));
        assertEquals(List.of("", "drive", "readonly"), List.copyOf(kv.keySet()));
        assertEquals("virtio-blk-pci", kv.get(""));
        assertEquals("d0,x", kv.get("drive"));
        assertEquals("on", kv.get("readonly"));
    }

    @Test
    void unknownAndRepeatedKeysAreSentencesNamingTheOption() {
        EngineException e = assertThrows(EngineException.class,
                () -> QemuOptions.keyValues("-drive", "file=a,bogus=1", Set.of("file")));
        assertEquals("-drive file=a,bogus=1: 'bogus' is not supported; the keys are [file]", e.getMessage());
        e = assertThrows(EngineException.class, () -> QemuOptions.keyValues("-drive", "file=a,file=b", Set.of("file")));
        assertEquals("-drive file=a,file=b gives file twice; give it once", e.getMessage());
    }
}
