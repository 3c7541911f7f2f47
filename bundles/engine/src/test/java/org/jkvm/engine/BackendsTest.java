package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the backend: the order of -accel, the fallback and its reason, and what query-kvm reports. */
class BackendsTest {
    private static final String NO_KVM = "KVM is not available: /x/kvm does not exist; enable virtualization or "
            + "load the kvm module";

    @TempDir
    Path dir;

    /** A backend that opens, or refuses with a sentence; records the attempts. */
    static final class Fake implements HypervisorProvider {
        final Accelerator accel;
        final String refusal;
        final List<Accelerator> tried;

        Fake(Accelerator accel, String refusal, List<Accelerator> tried) {
            this.accel = accel;
            this.refusal = refusal;
            this.tried = tried;
        }

        @Override
        public Accelerator accelerator() {
            return accel;
        }

        @Override
        public Hypervisor open(Options options) {
            tried.add(accel);
            if (refusal != null) {
                throw new HypervisorUnavailableException(refusal);
            }
            return new Hypervisor() {
                @Override
                public Accelerator accelerator() {
                    return accel;
                }

                @Override
                public String description() {
                    return "fake " + accel;
                }

                @Override
                public List<CpuidEntry> supportedCpuid() {
                    return List.of();
                }

                @Override
                public int defaultTscKhz() {
                    return 1000;
                }

                @Override
                public HvVm createVm(GuestMemory memory) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private static Function<Accelerator, HypervisorProvider> finder(String kvmRefusal, String tcgRefusal,
            List<Accelerator> tried) {
        return a -> new Fake(a, a == Accelerator.KVM ? kvmRefusal : tcgRefusal, tried);
    }

    @Test
    void theDefaultIsKvmThenTheSoftwareCpu() {
        List<Accelerator> tried = new ArrayList<>();
        Backends.Opened kvm = Backends.open(List.of(), dir, finder(null, null, tried));
        assertEquals(Accelerator.KVM, kvm.hypervisor().accelerator());
        assertTrue(kvm.kvmPresent());
        assertNull(kvm.fallback());
        assertEquals(List.of(Accelerator.KVM), tried, "the software CPU is not even opened");
        tried.clear();
        Backends.Opened tcg = Backends.open(List.of(), dir, finder(NO_KVM, null, tried));
        assertEquals(Accelerator.TCG, tcg.hypervisor().accelerator());
        assertFalse(tcg.kvmPresent());
        assertEquals(NO_KVM, tcg.fallback(), "the fallback says why, in KVM's own sentence");
        assertEquals(List.of(Accelerator.KVM, Accelerator.TCG), tried);
    }

    @Test
    void anExplicitListIsTriedInItsOrder() {
        List<Accelerator> tried = new ArrayList<>();
        Backends.Opened o = Backends.open(List.of(Accelerator.TCG, Accelerator.KVM), dir, finder(null, null, tried));
        assertEquals(Accelerator.TCG, o.hypervisor().accelerator());
        assertEquals(List.of(Accelerator.TCG), tried);
        assertFalse(o.kvmPresent(), "KVM was not tried and " + dir + " is no KVM device");
    }

    @Test
    void withoutAFallbackTheSentenceIsTheBackendsOwn() {
        HypervisorUnavailableException e = assertThrows(HypervisorUnavailableException.class,
                () -> Backends.open(List.of(Accelerator.KVM), dir, finder(NO_KVM, null, new ArrayList<>())));
        assertEquals(NO_KVM, e.getMessage());
        e = assertThrows(HypervisorUnavailableException.class,
                () -> Backends.open(List.of(), dir, finder(NO_KVM, "the software CPU is broken", new ArrayList<>())));
        assertEquals(NO_KVM + "; and the software CPU is broken", e.getMessage());
    }

    /** The real providers: {@code -machine accel=kvm:tcg} with a KVM device that does not exist. */
    @Test
    void kvmColonTcgWithAMissingDeviceRunsTheSoftwareCpu() {
        Path missing = dir.resolve("no-kvm");
        List<Accelerator> accel = VmConfigParser.parse(List.of("-machine", "accel=kvm:tcg", "-kvm-device",
                missing.toString())).accel();
        if (!Backends.installed(Accelerator.TCG)) {
            HypervisorUnavailableException e = assertThrows(HypervisorUnavailableException.class,
                    () -> Backends.open(accel, missing));
            assertTrue(e.getMessage().startsWith("KVM is not available: " + missing + " does not exist"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("; and the software CPU (tcg) backend is not installed"),
                    e.getMessage());
            return;
        }
        Backends.Opened o = Backends.open(accel, missing);
        try (Hypervisor h = o.hypervisor()) {
            assertEquals(Accelerator.TCG, h.accelerator());
            assertFalse(o.kvmPresent());
            assertEquals("KVM is not available: " + missing + " does not exist; enable virtualization or load the "
                    + "kvm module", o.fallback());
        }
        HypervisorUnavailableException e = assertThrows(HypervisorUnavailableException.class,
                () -> Backends.open(List.of(Accelerator.KVM), missing));
        assertEquals(o.fallback(), e.getMessage(), "-accel kvm alone: KVM's sentence");
        assertSame(Accelerator.KVM, HypervisorProvider.find(Accelerator.KVM, getClass().getClassLoader())
                .accelerator());
    }
}
