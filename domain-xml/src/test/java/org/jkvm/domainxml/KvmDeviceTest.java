package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM device rule (property, environment, /dev/kvm) and the probe that decides whether KVM works. */
class KvmDeviceTest {
    @TempDir
    Path tmp;

    @Test
    void thePropertyWinsOverTheEnvironmentWhichWinsOverTheDefault() {
        Map<String, String> none = Map.of();
        Map<String, String> prop = Map.of(KvmDevice.PROPERTY, "/p/kvm");
        Map<String, String> env = Map.of(KvmDevice.ENV, "/e/kvm");
        assertEquals(Path.of("/p/kvm"), KvmDevice.configured(prop::get, env::get));
        assertEquals(Path.of("/e/kvm"), KvmDevice.configured(none::get, env::get));
        assertEquals(Path.of("/dev/kvm"), KvmDevice.configured(none::get, none::get));
        Map<String, String> blank = Map.of(KvmDevice.PROPERTY, " ", KvmDevice.ENV, "");
        assertEquals(Path.of("/dev/kvm"), KvmDevice.configured(blank::get, blank::get), "blank means unset");
    }

    @Test
    void aMissingPathMeansNoKvm() {
        Path missing = tmp.resolve("nonexistent");
        KvmDevice.Status s = KvmDevice.probe(missing);
        assertFalse(s.usable());
        assertEquals(missing, s.device());
        assertTrue(s.reason().startsWith(missing + " does not exist: the kvm module is not loaded"), s.reason());
    }

    @Test
    void aRegularFileIsNotKvmEvenThoughItOpensReadWrite() throws Exception {
        Path file = Files.writeString(tmp.resolve("kvm"), "not a device");
        KvmDevice.Status s = KvmDevice.probe(file);
        assertFalse(s.usable());
        assertEquals(file + " is not the KVM device (it is not a character device); point JKVM_KVM_DEVICE or"
                + " -Djkvm.kvm.device at /dev/kvm", s.reason());
        assertFalse(KvmDevice.probe(tmp).usable(), "a folder is not KVM either");
    }

    @Test
    void anotherCharacterDeviceIsNotKvm() {
        KvmDevice.Status s = KvmDevice.probe(Path.of("/dev/null"));
        assertFalse(s.usable());
        assertEquals("/dev/null is character device 1:3, not the KVM device 10:232; point JKVM_KVM_DEVICE or"
                + " -Djkvm.kvm.device at /dev/kvm", s.reason());
    }

    @Test
    void theRealDeviceIsUsableExactlyWhenThisUserMayReadAndWriteIt() {
        Path dev = Path.of("/dev/kvm");
        KvmDevice.Status s = KvmDevice.probe(dev);
        boolean access = Files.exists(dev) && Files.isReadable(dev) && Files.isWritable(dev);
        assertEquals(access, s.usable(), s.reason());
        assertEquals(s.usable(), s.reason().isEmpty(), "a reason exactly when unusable: " + s.reason());
    }
}
