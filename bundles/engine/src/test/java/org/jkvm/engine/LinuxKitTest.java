package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.jkvm.loader.BootRegisters;
import org.jkvm.loader.BootRequest;
import org.jkvm.loader.Images;
import org.jkvm.loader.KernelLoader;
import org.jkvm.loader.LoadedKernel;
import org.jkvm.loader.Module;
import org.jkvm.loader.SetupHeader;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux guest kit (src/linux): it builds from Debian's packages, its initramfs holds what /init needs, its
 * verify program finds a corrupted page, jkvm's loader takes its kernel and initramfs (bzImage and PVH), jkvm's
 * software CPU boots it to /init and powers it off through the ACPI button, and (as a check of the kit itself,
 * independent of jkvm's platform) QEMU TCG boots it to the shell, which answers and powers off.
 */
class LinuxKitTest {
    @TempDir
    Path dir;

    /** The newc archive's files: name to {mode, data}. */
    static Map<String, Object[]> initramfs(Path gz) throws IOException {
        byte[] a;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            a = in.readAllBytes();
        }
        Map<String, Object[]> files = new LinkedHashMap<>();
        int at = 0;
        while (at + 110 <= a.length) {
            String h = new String(a, at, 110, StandardCharsets.US_ASCII);
            assertEquals("070701", h.substring(0, 6), "newc magic at " + at);
            int mode = Integer.parseInt(h.substring(14, 22), 16);
            int size = Integer.parseInt(h.substring(54, 62), 16);
            int nameSize = Integer.parseInt(h.substring(94, 102), 16);
            String name = new String(a, at + 110, nameSize - 1, StandardCharsets.US_ASCII);
            int data = (at + 110 + nameSize + 3) & ~3;
            if (name.equals("TRAILER!!!")) {
                break;
            }
            byte[] bytes = new byte[size];
            System.arraycopy(a, data, bytes, 0, size);
            files.put(name.startsWith("./") ? name.substring(2) : name, new Object[] {mode, bytes});
            at = (data + size + 3) & ~3;
        }
        return files;
    }

    @Test
    void theKitHoldsABzImageAndAnInitramfsWithInitBusyboxAndTheVerifier() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        byte[] kernel = Files.readAllBytes(kit.kernel());
        assertTrue(SetupHeader.isBzImage(kernel), kit.kernel() + " is a bzImage");
        SetupHeader h = SetupHeader.parse(kernel, "kernel");
        assertTrue(h.version() >= 0x020c && h.has64BitEntry(), "boot protocol " + h.versionString());
        Map<String, Object[]> files = initramfs(kit.initrd());
        for (String f : List.of("init", "bin/busybox", "bin/jkvm-verify", "lib/modules/evdev.ko",
                "lib/modules/button.ko", "lib/modules/virtio_pci.ko", "lib/modules/virtio_blk.ko",
                "etc/acpi/PWRF/00000080", "etc/profile")) {
            assertTrue(files.containsKey(f), f + " in the initramfs: " + files.keySet());
        }
        assertEquals(0100755, (int) files.get("init")[0], "/init is an executable file");
        assertTrue(new String((byte[]) files.get("init")[1], StandardCharsets.UTF_8).startsWith("#!/bin/sh"));
        assertTrue(kit.cmdline().contains("console=ttyS0"), kit.cmdline());
    }

    @Test
    void theVerifierWritesChecksAndCatchesACorruptedPage() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Path verify = dir.resolve("jkvm-verify");
        Files.write(verify, (byte[]) initramfs(kit.initrd()).get("bin/jkvm-verify")[1]);
        assertTrue(verify.toFile().setExecutable(true));
        Object[] ok = run(verify, "workload=verify", "mib=4", "rate=2000", "hb_ms=200", "exit_after=3");
        assertEquals(0, ok[0], (String) ok[1]);
        assertTrue(((String) ok[1]).startsWith("jkvm-verify 1.0 workload=verify mib=4 rate=2000 hb_ms=200"),
                (String) ok[1]);
        assertEquals(3, ((String) ok[1]).lines().filter(l -> l.startsWith("hb seq=") && l.contains(" errors=0 "))
                .count(), (String) ok[1]);
        Object[] bad = run(verify, "workload=verify", "mib=1", "rate=1000", "hb_ms=200", "exit_after=8",
                "inject=page");
        assertEquals(1, bad[0], "a corrupted page ends with status 1: " + bad[1]);
        assertTrue(((String) bad[1]).contains("verify-bad page="), (String) bad[1]);
    }

    private static Object[] run(Path exe, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(exe.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jkvm-verify did not end: " + out);
        return new Object[] {p.exitValue(), out};
    }

    @Test
    void jkvmsLoaderTakesTheDebianKernelAndInitramfs() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        byte[] initrd = Images.read(kit.initrd(), "initrd file", "-initrd", Module.MAX_BYTES);
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(512L << 20)) {
            LoadedKernel k = KernelLoader.load(mem, new BootRequest(Files.readAllBytes(kit.kernel()),
                    kit.kernel().toString(), List.of(new Module(kit.initrd().toString(), initrd)), kit.cmdline(), 1));
            assertEquals(LoadedKernel.Format.LINUX_BZIMAGE, k.format());
            BootRegisters r = k.registers();
            assertEquals(0x100200, r.rip());
            long zp = r.rsi();
            assertEquals((initrd.length + 3) & ~3, mem.readIntLE(zp + 0x21c), "ramdisk_size");
            long ramdisk = mem.readIntLE(zp + 0x218) & 0xffffffffL;
            long padded = (initrd.length + 3L) & ~3L;
            assertEquals((512L << 20) - ((padded + 0xfff) & ~0xfffL), ramdisk, "initrd at the top of RAM");
            assertEquals(0xE0000, mem.readLongLE(zp + 0x70), "acpi_rsdp_addr");
        }
        try (MmapGuestMemory small = MmapGuestMemory.allocate(64L << 20)) {
            org.jkvm.loader.LoaderException e = org.junit.jupiter.api.Assertions.assertThrows(
                    org.jkvm.loader.LoaderException.class, () -> KernelLoader.load(small, new BootRequest(
                            Files.readAllBytes(kit.kernel()), "vmlinuz", List.of(), "", 1)));
            assertTrue(e.getMessage().startsWith("kernel file vmlinuz needs "), e.getMessage());
        }
    }

    @Test
    void jkvmsLoaderTakesTheDebianVmlinuxThroughItsPvhNote() throws Exception {
        LinuxKit.Kit kit = LinuxKit.requireVmlinux();
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(512L << 20)) {
            LoadedKernel k = KernelLoader.load(mem, new BootRequest(Files.readAllBytes(kit.vmlinux()), "vmlinux",
                    List.of(new Module("initrd", new byte[] {1, 2, 3})), "console=ttyS0", 1));
            assertEquals(LoadedKernel.Format.PVH_ELF, k.format());
            assertEquals(BootRegisters.Mode.PROTECTED_32, k.registers().mode());
            long si = k.registers().gprs().rbx();
            assertEquals(0x336ec578, mem.readIntLE(si), "hvm_start_info magic");
            assertEquals(1, mem.readIntLE(si + 12), "one module");
            assertEquals(0xE0000, mem.readLongLE(si + 32), "rsdp_paddr");
            assertTrue(k.registers().rip() >= 0x1000000 && k.registers().rip() < 0x2000000,
                    "the entry lies in the kernel's text: " + Long.toHexString(k.registers().rip()));
        }
    }

    /**
     * The Debian kernel as a vmlinux through its PVH note (32-bit protected mode, paging off, hvm_start_info with
     * the memory map, the initramfs as module 0, the command line and the RSDP) on the software CPU: it takes the
     * memory map, finds and reads jkvm's ACPI tables, uses the PM timer, and runs the kit's /init.
     */
    @Test
    void theSoftwareCpuBootsTheDebianVmlinuxThroughItsPvhNoteToInit() throws Exception {
        LinuxKit.Kit kit = LinuxKit.requireVmlinux();
        Require.that(Backends.installed(org.jkvm.hypervisor.Accelerator.TCG), "the software CPU is not built");
        Path serial = dir.resolve("serial.log");
        VmConfig c = VmConfig.builder().name("linux").memoryBytes(512L << 20).kernel(kit.vmlinux())
                .initrd(kit.initrd().toString()).append("console=ttyS0 panic=-1")
                .serial(new CharDev.FileDev(serial)).accel(List.of(org.jkvm.hypervisor.Accelerator.TCG)).build();
        try (Vm vm = Vm.create(c)) {
            vm.cont();
            Await.until("the kit's /init runs", java.time.Duration.ofMinutes(10),
                    () -> Files.readString(serial).contains("jkvm-init: start") || vm.exitFuture().isDone());
            vm.quit();
        }
        String log = Files.readString(serial);
        assertTrue(log.contains("Linux version " + kit.kernelVersion()), log);
        assertTrue(log.contains("BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable"), log);
        assertTrue(log.contains("ACPI: RSDP 0x00000000000E0000 000024 (v02 JKVM  )"), log);
        assertTrue(log.contains("ACPI: FACP 0x") && log.contains("ACPI: APIC 0x") && log.contains("ACPI: DSDT 0x"),
                log);
        assertTrue(log.contains("ACPI: PM-Timer IO Port: 0x608"), log);
        assertTrue(log.contains("Kernel command line: console=ttyS0 panic=-1"), log);
        assertTrue(log.contains("jkvm-init: start"), log);
    }

    /**
     * The Debian bzImage through jkvm's boot protocol path (startup_64 with boot_params: the e820 map, the
     * initramfs, acpi_rsdp_addr) on the software CPU with its interrupt controllers: the kernel runs the kit's /init,
     * which loads virtio-blk and finds the -drive as /dev/vda (the DSDT's PCI root bridge and _PRT), the verify
     * workload beats with errors=0, and the ACPI power button (system_powerdown: PWRBTN_STS and the SCI, acpid's
     * poweroff, S5 through the DSDT's \_S5 and PM1a_CNT) ends the engine with status 0.
     */
    @Test
    void theSoftwareCpuBootsTheDebianBzImageToInitAndPowersOffOnTheAcpiButton() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Require.that(Backends.installed(org.jkvm.hypervisor.Accelerator.TCG), "the software CPU is not built");
        Path serial = dir.resolve("serial.log");
        Path disk = dir.resolve("disk.raw");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        VmConfig c = VmConfig.builder().name("linux").memoryBytes(512L << 20).kernel(kit.kernel())
                .initrd(kit.initrd().toString()).append(kit.cmdline()).serial(new CharDev.FileDev(serial))
                .disks(org.jkvm.engine.disk.DiskOptions.parse(List.of("file=" + disk + ",format=raw,if=virtio"),
                        List.of(), false))
                .accel(List.of(org.jkvm.hypervisor.Accelerator.TCG)).build();
        VmExit exit;
        try (Vm vm = Vm.create(c)) {
            vm.cont();
            Await.until("two heartbeats of the kit's verify workload", java.time.Duration.ofMinutes(10),
                    () -> Files.readString(serial).split("\nhb seq=", -1).length > 2 || vm.exitFuture().isDone());
            assertTrue(!vm.exitFuture().isDone(), "the guest ended early: " + Files.readString(serial));
            vm.systemPowerdown();
            Await.until("the guest powers off", java.time.Duration.ofMinutes(5), () -> vm.exitFuture().isDone());
            exit = vm.awaitExit();
        }
        String log = Files.readString(serial);
        assertEquals(0, exit.status(), exit.reason() + "\n" + log);
        assertTrue(log.contains("Linux version " + kit.kernelVersion()), log);
        assertTrue(log.contains("Kernel command line: " + kit.cmdline()), log);
        assertTrue(log.contains("jkvm-init: start"), log);
        assertTrue(log.contains("ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00-ff])")
                && log.contains("pci_bus 0000:00: root bus resource [mem 0xe0000000-0xfebfffff window]")
                && log.contains("pci 0000:00:00.0: [8086:1237]"), "the DSDT's PCI root bridge: " + log);
        // virtio-blk at 00:02.0: the driver reads the capacity, and the partition scan's read completes through an
        // MSI-X message (virtio_pci takes one vector per queue) before /init goes on to the workload
        assertTrue(log.contains("virtio_blk virtio0: [vda] 32768 512-byte logical blocks"), log);
        assertTrue(log.contains("ACPI: PM: Preparing to enter system sleep state S5"), log);
        List<String> beats = log.lines().filter(l -> l.startsWith("hb seq=")).toList();
        assertTrue(beats.size() >= 2 && beats.stream().allMatch(l -> l.contains(" errors=0 ")), log);
    }

    @Test
    void qemuTcgBootsTheKitToAShellThatAnswersAndPowersOff() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Require.command("qemu-system-x86_64");
        Process p = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-kernel",
                kit.kernel().toString(), "-initrd", kit.initrd().toString(), "-append", kit.cmdline(), "-display",
                "none", "-serial", "stdio", "-no-reboot").redirectErrorStream(true).start();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), console), "qemu-console");
        reader.start();
        try {
            Await.until("the kit's shell prompt", java.time.Duration.ofMinutes(5),
                    () -> text(console).contains("jkvm-init: shell on") && text(console).contains("jkvm# "));
            OutputStream in = p.getOutputStream();
            in.write("echo kit-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Await.until("the shell's answer", java.time.Duration.ofMinutes(2), () -> text(console).contains("kit-42"));
            Await.until("a heartbeat", java.time.Duration.ofMinutes(2), () -> text(console).contains("hb seq=1 "));
            in.write("poweroff\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "QEMU did not power off: " + text(console));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
            reader.join(10_000);
        }
        String out = text(console);
        assertTrue(out.contains("jkvm-init: start uptime="), out);
        assertTrue(out.matches("(?sm).*^ +0: +\\d+ +IO-APIC +2-edge +timer.*"), "timer on the I/O APIC: " + out);
        assertTrue(out.contains("ttyS0"), out);
        assertTrue(out.contains("hb seq=0 ") && !out.lines().anyMatch(l -> l.startsWith("hb ")
                && !l.contains(" errors=0 ")), out);
        assertTrue(out.contains("reboot: Power down"), out);
    }

    private static String text(ByteArrayOutputStream b) {
        synchronized (b) {
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0;) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }
}
