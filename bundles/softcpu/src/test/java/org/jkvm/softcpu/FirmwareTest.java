package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.firmware.Firmware;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.loader.BootRegisters;
import org.jkvm.loader.BootSetup;
import org.jkvm.loader.ElfLoader;
import org.jkvm.loader.LoadedImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bundled firmware on the software CPU, entered in long mode as the engine enters it: every workload runs to
 * its debug exit with {@code errors=0}, with the first line and heartbeats in their documented format. With the
 * engine's hypervisor CPUID leaves (TSC rate from leaf 0x40000010) and without them (tsc_khz on the command line;
 * the firmware then reloads CR3 every loop iteration, as under QEMU TCG).
 */
class FirmwareTest {
    private static final Pattern HB = Pattern.compile(
            "hb seq=(\\d+) ms=\\d+ pages=(\\d+) gen=\\d+ errors=(\\d+) tsc=\\d+ tsc_back=0 verify_bad=0( work=\\d+)?");

    @ParameterizedTest
    @CsvSource({"idle,true", "dirty,true", "verify,true", "compute,true", "verify,false", "dirty,false"})
    void workloadRunsWithoutErrors(String workload, boolean kvmLeaves) {
        String append = "workload=" + workload + " mib=4 rate=0 hb_ms=20 exit_after=3"
                + (kvmLeaves ? "" : " tsc_khz=1000000");
        try (TestVm t = new TestVm(64L << 20)) {
            List<CpuidEntry> cpuid = new ArrayList<>(t.hv.supportedCpuid());
            if (kvmLeaves) {
                cpuid.add(new CpuidEntry(0x40000000, 0, false, 0x40000010, 0x4b4d564b, 0x564b4d56, 0x4d));
                cpuid.add(new CpuidEntry(0x40000010, 0, false, t.vcpu.tscKhz(), 0, 0, 0));
            }
            t.vcpu.setCpuid(cpuid);
            boot(t, append);
            int status = runToDebugExit(t);
            String out = t.ops.serial.toString();
            assertEquals(0, status, out);
            String first = out.lines().findFirst().orElse("");
            assertTrue(first.startsWith("jkvm-fw " + Firmware.VERSION + " vendor=AuthenticAMD cpuid1.ecx=0x"), first);
            assertTrue(first.contains(" lm=1 ") && first.contains(" workload=" + workload + " mib=4 rate=0"),
                    first);
            List<String> hbs = out.lines().filter(l -> l.startsWith("hb ")).toList();
            assertEquals(3, hbs.size(), out);
            for (int i = 0; i < 3; i++) {
                Matcher m = HB.matcher(hbs.get(i));
                assertTrue(m.matches(), hbs.get(i));
                assertEquals(i, Integer.parseInt(m.group(1)));
                assertEquals("0", m.group(3));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void verifyWorkloadMovesToAnotherVmMidRun() {
        String append = "workload=verify mib=4 rate=0 hb_ms=20 exit_after=6";
        try (TestVm a = new TestVm(64L << 20); TestVm b = new TestVm(64L << 20)) {
            List<CpuidEntry> cpuid = new ArrayList<>(a.hv.supportedCpuid());
            cpuid.add(new CpuidEntry(0x40000000, 0, false, 0x40000010, 0x4b4d564b, 0x564b4d56, 0x4d));
            cpuid.add(new CpuidEntry(0x40000010, 0, false, a.vcpu.tscKhz(), 0, 0, 0));
            a.vcpu.setCpuid(cpuid);
            b.vcpu.setCpuid(cpuid);
            boot(a, append);
            a.ops.onSerialLine = () -> {
                if (a.ops.serial.toString().contains("hb seq=2 ")) {
                    a.vcpu.kick();
                }
            };
            VcpuExit e;
            do {
                e = a.vcpu.run();
            } while (e == VcpuExit.CONTINUE);
            assertEquals(VcpuExit.INTERRUPTED, e, a.ops.serial.toString());
            org.jkvm.hypervisor.x86.CpuState state = a.vcpu.saveState();
            for (int i = 0; i < a.memory.regions().size(); i++) {
                var from = a.memory.regions().get(i);
                var to = b.memory.regions().get(i);
                to.view(0, (int) from.sizeBytes()).put(from.view(0, (int) from.sizeBytes()));
            }
            b.vcpu.restoreState(state);
            assertEquals(0, runToDebugExit(b), b.ops.serial.toString());
            List<String> hbs = b.ops.serial.toString().lines().filter(l -> l.startsWith("hb ")).toList();
            assertEquals(3, hbs.size(), b.ops.serial.toString());
            for (int i = 0; i < 3; i++) {
                Matcher m = HB.matcher(hbs.get(i));
                assertTrue(m.matches(), hbs.get(i));
                assertEquals(3 + i, Integer.parseInt(m.group(1)));
            }
        }
    }

    static void boot(TestVm t, String append) {
        LoadedImage loaded = ElfLoader.load(Firmware.image(), Firmware.FILE_NAME, t.memory);
        BootRegisters boot = BootSetup.setUp(t.memory, loaded, append);
        SegmentRegister code = new SegmentRegister(boot.codeSel(), 0, 0xffffffff, 11, true, 0, true, false, true,
                false, true, false);
        SegmentRegister data = new SegmentRegister(boot.dataSel(), 0, 0xffffffff, 3, true, 0, true, false, false,
                true, true, false);
        SystemRegisters s = SystemRegisters.reset().withSegments(code, data)
                .withControl(boot.cr0(), boot.cr3(), boot.cr4(), boot.efer())
                .withTables(new DescriptorTable(boot.gdtBase(), boot.gdtLimit()), new DescriptorTable(0, 0));
        t.vcpu.setSystemRegisters(s);
        t.vcpu.setRegisters(new Registers(0, 0, 0, 0, boot.rsi(), boot.rdi(), boot.rsp(), 0, 0, 0, 0, 0, 0, 0, 0,
                0, boot.rip(), boot.rflags()));
    }

    /** Runs until the firmware writes its debug-exit port (0xf4); returns the status byte. */
    static int runToDebugExit(TestVm t) {
        for (int i = 0; i < 1_000_000; i++) {
            VcpuExit e = t.vcpu.run();
            List<Long> exits = t.ops.valuesAt(0xf4);
            if (!exits.isEmpty()) {
                return exits.get(0).intValue();
            }
            if (e != VcpuExit.CONTINUE && e != VcpuExit.INTERRUPTED) {
                throw new AssertionError("firmware stopped with " + e + " (" + t.vcpu.exitDetail() + ") at RIP 0x"
                        + Long.toHexString(t.rip()) + "; serial: " + t.ops.serial);
            }
        }
        throw new AssertionError("no debug exit; serial: " + t.ops.serial);
    }
}
