package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.jkvm.hypervisor.x86.CpuidEntry;
import org.junit.jupiter.api.Test;

/**
 * The seed's "migration does not work when running nested guests": a CPU that exposes VMX or SVM blocks migration
 * with a sentence naming the feature and the -cpu option that removes it; any other CPUID does not.
 */
class NestedBlockerTest {
    private static CpuidEntry leaf(int function, int ecx) {
        return new CpuidEntry(function, 0, false, 0, 0, ecx, 0);
    }

    @Test
    void vmxOrSvmBlockNamingTheFeatureAndTheFix() {
        assertEquals("the guest's CPU (-cpu host) exposes vmx for nested virtualization, and jkvm cannot migrate "
                + "the state of a guest's own guests; start the guest with -cpu host,-vmx to make it migratable",
                VmMigratable.nestedVirtualizationBlocker(List.of(leaf(0, 0), leaf(1, 1 << 5)), "host"));
        assertEquals("the guest's CPU (-cpu qemu64,+svm) exposes svm for nested virtualization, and jkvm cannot "
                + "migrate the state of a guest's own guests; start the guest with -cpu qemu64 to make it "
                + "migratable",
                VmMigratable.nestedVirtualizationBlocker(List.of(leaf(1, 0), leaf(0x8000_0001, 0x5)), "qemu64,+svm"));
    }

    @Test
    void otherFeaturesDoNotBlock() {
        // Every other bit of the two leaves, and bit 5 / bit 2 of other leaves.
        assertNull(VmMigratable.nestedVirtualizationBlocker(List.of(leaf(1, ~(1 << 5)), leaf(0x8000_0001, ~(1 << 2)),
                leaf(7, 1 << 5), leaf(0x8000_0008, 1 << 2)), "qemu64"));
        assertNull(VmMigratable.nestedVirtualizationBlocker(List.of(), "qemu64"));
    }
}
