package org.jkvm.softcpu.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The oracle checks itself: the same cases on KVM (the host CPU again, but at CPL 0 in {@link GuestSetup}'s guest,
 * reached through the same seam calls as the software CPU) must agree with the native harness. A difference here
 * is a bug in the oracle's guest side (page tables, IDT and IST frames, CR2, the runner), not in the software CPU.
 *
 * <p>A cross-backend test: it needs hardware-assisted KVM (the host CPU has VMX or SVM) and skips without it, also
 * under CI. KVM without them (kvm-pvm, as on the machines this project is built on) emulates many instructions in
 * software, and its emulator fails or differs on some (CMPXCHG16B, ENTER with a nesting level, INT n, invalid
 * opcodes, LZCNT; partial writes before a #PF): it is no reference.
 */
class OracleOnKvmTest {
    private static final Logger LOG = LoggerFactory.getLogger(OracleOnKvmTest.class);

    @Test
    void kvmAgreesWithTheHost() throws Exception {
        Assumptions.assumeTrue(Require.kvmAvailable(), "skipped: this cross-backend check needs KVM ("
                + Require.kvmDevice() + ")");
        Assumptions.assumeTrue(hardwareVirtualization(), "skipped: the host CPU has neither VMX nor SVM, so KVM "
                + "here emulates instructions in software (kvm-pvm) and is no reference for the oracle");
        NativeHarness harness = NativeHarness.build(Require.command("gcc"), Path.of("target", "oracle"));
        try (Hypervisor kvm = HypervisorProvider.find(Accelerator.KVM, getClass().getClassLoader())
                .open(new HypervisorProvider.Options(Require.kvmDevice()))) {
            CpuFeatures features = harness.features().and(CpuFeatures.fromCpuid(kvm.supportedCpuid()));
            int count = Integer.getInteger("oracle.kvmCases", 5_000);
            OracleRun.Summary s = OracleRun.run(harness, kvm, new CaseGenerator(InstructionOracleTest.FIXED_SEED,
                    features), 0, count, count, 20);
            LOG.info(s.describe());
            assertEquals(0, s.failures(), () -> "the oracle's guest side disagrees with the host on KVM:\n"
                    + String.join("\n", s.lines()));
        }
    }

    /** Whether /proc/cpuinfo lists vmx or svm (KVM then runs guest code on the CPU itself). */
    private static boolean hardwareVirtualization() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) {
                List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                return flags.contains("vmx") || flags.contains("svm");
            }
        }
        return false;
    }
}
