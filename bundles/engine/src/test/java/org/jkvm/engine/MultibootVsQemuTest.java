package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 4 of issue 13: a multiboot v1 kernel (the probe, as ELF and with the a.out kludge) gets from jkvm the
 * registers, information structure and modules QEMU gives it: both run the same kernel with the same command line
 * and {@code -initrd "A argA1 argA2,B"} and their reports are compared field by field. Where they may differ, the
 * difference is what jkvm documents (MultibootBoot): the boot loader name, the memory map (SeaBIOS reserves the top
 * 128 KiB of low RAM, so QEMU's mem_upper is 128 lower), and registers the specification leaves undefined (ESP, EDX,
 * EDI, the arithmetic flags, the GDT's base).
 */
class MultibootVsQemuTest {
    private static final String APPEND = "a=1 bb=two";

    @TempDir
    static Path dir;

    @BeforeAll
    static void buildProbe() throws Exception {
        MultibootProbe.build(dir);
        byte[] a = new byte[5000];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (i * 7 + 3);
        }
        Files.write(dir.resolve("modA"), a);
        Files.writeString(dir.resolve("modB"), "hello module b\n");
    }

    private static String initrd() {
        return dir.resolve("modA") + " argA1 argA2," + dir.resolve("modB");
    }

    private static String qemu(String kernel) throws Exception {
        Require.command("qemu-system-x86_64");
        Path out = dir.resolve(kernel + ".qemu.txt");
        Process p = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-m", "64", "-kernel",
                dir.resolve(kernel).toString(), "-append", APPEND, "-initrd", initrd(), "-display", "none",
                "-serial", "file:" + out, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "QEMU did not finish: " + log);
        assertEquals(1, p.exitValue(), "QEMU's debug exit 0 is status 1: " + log);
        return Files.readString(out);
    }

    private static String jkvm(String kernel, Accelerator accel) throws Exception {
        Path out = dir.resolve(kernel + "." + accel.optionName() + ".txt");
        VmConfig c = VmConfig.builder().name("mb").memoryBytes(64L << 20).cpu(CpuSpec.parse("qemu64"))
                .kernel(dir.resolve(kernel)).append(APPEND).initrd(initrd()).serial(new CharDev.FileDev(out))
                .accel(List.of(accel)).build();
        try (Vm vm = Vm.create(c)) {
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(0, exit.status(), exit.reason() + "\n" + exit.registerDump());
        }
        return Files.readString(out);
    }

    private static void compare(String kernel, Accelerator accel) throws Exception {
        Map<String, Map<String, String>> q = MultibootProbe.parse(qemu(kernel));
        Map<String, Map<String, String>> j = MultibootProbe.parse(jkvm(kernel, accel));
        assertTrue(q.containsKey("end") && j.containsKey("end"), "both probes finished:\n" + q + "\n" + j);
        Map<String, String> qr = q.get("regs");
        Map<String, String> jr = j.get("regs");
        for (String k : List.of("eax", "ebx", "ecx", "esi", "ebp", "cs", "ds", "es", "fs", "gs", "ss", "cr0", "cr4",
                "gdt.limit", "idt.limit", "idt.base")) {
            assertEquals(qr.get(k), jr.get(k), kernel + " register " + k);
        }
        long qf = Long.parseLong(qr.get("eflags"), 16);
        long jf = Long.parseLong(jr.get("eflags"), 16);
        assertEquals(qf & ~0x8d5L, jf & ~0x8d5L, "EFLAGS apart from the arithmetic flags (IF and VM clear)");
        assertEquals("00007000", jr.get("esp"), "jkvm's documented initial stack");
        Map<String, String> qm = q.get("mbi");
        Map<String, String> jm = j.get("mbi");
        for (String k : qm.keySet()) {
            if (!k.equals("mem_upper") && !k.equals("mmap_length")) {
                assertEquals(qm.get(k), jm.get(k), kernel + " information field " + k);
            }
        }
        assertEquals(Long.parseLong(qm.get("mem_upper"), 16) + 128, Long.parseLong(jm.get("mem_upper"), 16),
                "mem_upper: QEMU's SeaBIOS keeps the top 128 KiB");
        assertEquals(q.get("strings").get("cmdline"), j.get("strings").get("cmdline"));
        assertEquals("\"" + dir.resolve(kernel) + " " + APPEND + "\"", j.get("strings").get("cmdline"));
        assertEquals("\"qemu\"", q.get("strings").get("loader"));
        assertEquals("\"jkvm\"", j.get("strings").get("loader"));
        for (String mod : List.of("mod#0", "mod#1")) {
            assertEquals(q.get(mod), j.get(mod), kernel + " " + mod);
        }
        for (String e : List.of("mmap#0", "mmap#1")) {
            Map<String, String> qe = new java.util.HashMap<>(q.get(e));
            Map<String, String> je = new java.util.HashMap<>(j.get(e));
            assertEquals(qe, je, kernel + " " + e + ": conventional memory and the EBDA");
        }
        assertEquals("00100000", j.get("mmap#3").get("base"), "RAM from 1 MiB");
    }

    @Test
    void elfKernelOnTheSoftwareCpu() throws Exception {
        compare("mbprobe.elf", Accelerator.TCG);
    }

    @Test
    void aoutKludgeKernelOnTheSoftwareCpu() throws Exception {
        compare("mbprobe.bin", Accelerator.TCG);
    }

    @Test
    void elfKernelOnKvm() throws Exception {
        Require.kvm();
        compare("mbprobe.elf", Accelerator.KVM);
    }
}
