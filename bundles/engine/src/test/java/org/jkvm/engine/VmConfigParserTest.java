package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.jkvm.hypervisor.Accelerator;
import org.junit.jupiter.api.Test;

class VmConfigParserTest {
    private static VmConfig parse(String... args) {
        return VmConfigParser.parse(List.of(args));
    }

    private static String error(String... args) {
        return assertThrows(EngineException.class, () -> parse(args)).getMessage();
    }

    @Test
    void parsesAFullQemuStyleCommandLine() {
        VmConfig c = parse("-name", "guest=vm1,debug-threads=on", "-uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
                "-m", "1G", "-smp", "1", "-cpu", "qemu64,-nx,+pdpe1gb", "-kernel", "/tmp/fw.elf",
                "-append", "workload=dirty mib=8", "-serial", "file:/tmp/s.log",
                "-monitor", "unix:/tmp/m.sock,server,nowait", "--qmp", "unix:/tmp/q.sock,server,nowait", "-S",
                "-pidfile", "/tmp/p.pid", "-incoming", "tcp:0:4444", "-enable-kvm", "-nographic",
                "-machine", "pc,accel=kvm", "-kvm-device", "/dev/null");
        assertEquals("vm1", c.name());
        assertEquals(UUID.fromString("c7a5fdbd-cdaf-9455-926a-d65c16db1809"), c.uuid());
        assertEquals(1L << 30, c.memoryBytes());
        assertEquals("qemu64", c.cpu().model());
        assertEquals(List.of("pdpe1gb"), c.cpu().add());
        assertEquals(List.of("nx"), c.cpu().remove());
        assertEquals(Path.of("/tmp/fw.elf"), c.kernel());
        assertEquals("workload=dirty mib=8", c.append());
        assertEquals(new CharDev.FileDev(Path.of("/tmp/s.log")), c.serial());
        assertEquals(new CharDev.UnixDev(Path.of("/tmp/m.sock"), true, false), c.monitor());
        assertEquals(new CharDev.UnixDev(Path.of("/tmp/q.sock"), true, false), c.qmp());
        assertTrue(c.startPaused());
        assertEquals(Path.of("/tmp/p.pid"), c.pidfile());
        assertEquals("tcp:0:4444", c.incoming());
        assertEquals(Path.of("/dev/null"), c.kvmDevice());
        assertEquals(List.of(Accelerator.KVM), c.accel());
    }

    @Test
    void defaultsAreQemusWithTheBundledFirmware() {
        VmConfig c = parse();
        assertEquals(128L << 20, c.memoryBytes());
        assertEquals("qemu64", c.cpu().model());
        assertNull(c.kernel());
        assertEquals(new CharDev.Null(), c.serial());
        assertNull(c.qmp());
        assertFalse(c.startPaused());
    }

    @Test
    void memorySizesFollowQemu() {
        assertEquals(512L << 20, VmConfigParser.parseMemory("512"));
        assertEquals(256L << 20, VmConfigParser.parseMemory("256M"));
        assertEquals(256L << 20, VmConfigParser.parseMemory("256MiB"));
        assertEquals(2L << 30, VmConfigParser.parseMemory("2g"));
        assertEquals(1L << 30, VmConfigParser.parseMemory("size=1G"));
        assertEquals(16L << 20, VmConfigParser.parseMemory("16384K"));
    }

    @Test
    void badInputGivesOneSentenceNamingTheOption() {
        assertEquals("invalid -m value 'lots'; give a size like 256M, 1G or 512 (MiB)", error("-m", "lots"));
        assertEquals("invalid -m value '-5'; give a size like 256M, 1G or 512 (MiB)", error("-m", "-5"));
        assertTrue(error("-m", "1M").contains("out of range"));
        assertTrue(error("-m", "64T").contains("out of range"));
        assertTrue(error("-m", "17000K").contains("whole number of MiB"));
        assertEquals("unknown -cpu model 'pentium9'; use one of [host, max, qemu64, kvm64]",
                error("-cpu", "pentium9"));
        assertTrue(error("-cpu", "qemu64,-warp").startsWith("unknown -cpu feature 'warp'"));
        assertTrue(error("-cpu", "qemu64,nx").startsWith("malformed -cpu feature 'nx'"));
        assertTrue(error("-smp", "2").contains("exactly one vCPU"));
        assertTrue(error("-smp", "1,maxcpus=4").contains("exactly one vCPU"));
        assertEquals("unknown option -frobnicate; run with -help for the supported options", error("-frobnicate"));
        assertEquals("option -m needs a value", error("-m"));
        assertTrue(error("-m", "1G", "-m", "2G").contains("given twice"));
        assertTrue(error("-device", "e1000").startsWith("-device e1000 is not supported"));
        assertTrue(error("-device", "virtio-net-pci").contains("names no netdev"));
        assertTrue(error("-machine", "virt").startsWith("-machine virt is not supported"));
        assertTrue(error("-serial", "tcp:1.2.3.4:5").startsWith("unsupported -serial backend 'tcp:1.2.3.4:5'"));
        assertTrue(error("-qmp", "unix:/tmp/x").contains("must listen"));
        assertTrue(error("-qmp", "stdio").contains("-qmp stdio is not supported"));
        assertTrue(error("-uuid", "nope").startsWith("invalid -uuid value 'nope'"));
        assertTrue(error("stray").startsWith("unexpected argument 'stray'"));
        assertTrue(error("-serial", "stdio", "-monitor", "stdio").contains("cannot share the terminal"));
    }

    @Test
    void cpuFeatureSpellingsAreNormalised() {
        CpuSpec s = CpuSpec.parse("host,+sse4_2,xd=off,-svm,+svm");
        assertEquals(List.of("sse4.2", "svm"), s.add());
        assertEquals(List.of("nx"), s.remove());
        assertEquals("host,+sse4.2,+svm,-nx", s.toString());
        // libvirt's spellings (domain XML <feature name=.../>)
        CpuSpec lv = CpuSpec.parse("qemu64,+lahf_lm,+pclmuldq,-md-clear,-invtsc,+fxsr_opt");
        assertEquals(List.of("lahf-lm", "pclmulqdq", "fxsr-opt"), lv.add());
        assertEquals(List.of("md-clear", "invtsc"), lv.remove());
    }

    @Test
    void abiFingerprintIsOptionalOpaqueAndChecked() {
        assertNull(parse().abiFingerprint());
        assertEquals("sha256:ab12 cd", parse("-abi-fingerprint", "sha256:ab12 cd").abiFingerprint());
        assertTrue(error("-abi-fingerprint", "").contains("-abi-fingerprint must be 1 to 1024 printable ASCII"));
        assertTrue(error("-abi-fingerprint", "a\nb").contains("-abi-fingerprint"));
        assertTrue(error("-abi-fingerprint", "x".repeat(1025)).contains("-abi-fingerprint"));
        assertTrue(error("-abi-fingerprint", "a", "-abi-fingerprint", "b").contains("given twice"));
    }

    @Test
    void acceleratorsInQemusSpellings() {
        assertEquals(List.of(), parse().accel(), "none given: the default, kvm then tcg");
        assertEquals(List.of(Accelerator.TCG), parse("-accel", "tcg").accel());
        assertEquals(List.of(Accelerator.KVM), parse("-accel", "KVM").accel());
        assertEquals(List.of(Accelerator.KVM, Accelerator.TCG), parse("-accel", "kvm", "-accel", "tcg").accel(),
                "-accel repeated is a fallback list, in order");
        assertEquals(List.of(Accelerator.TCG, Accelerator.KVM), parse("-accel", "tcg", "-accel", "kvm").accel());
        assertEquals(List.of(Accelerator.KVM), parse("-enable-kvm").accel(), "QEMU: -enable-kvm is -accel kvm");
        assertEquals(List.of(Accelerator.KVM, Accelerator.TCG), parse("-machine", "accel=kvm:tcg").accel());
        assertEquals(List.of(Accelerator.TCG), parse("-machine", "pc,accel=tcg").accel());
        assertEquals(List.of(Accelerator.TCG, Accelerator.KVM), parse("-M", "q35,accel=tcg:kvm").accel());
        assertEquals(List.of(Accelerator.KVM), parse("-enable-kvm", "-machine", "pc,accel=kvm").accel(),
                "both forms agreeing");
        assertEquals(List.of(Accelerator.KVM), parse("-accel", "kvm", "-accel", "kvm").accel());
    }

    @Test
    void badAcceleratorsAreOneSentence() {
        assertEquals("-accel xen is not supported: this engine runs on kvm (Linux KVM) or tcg (its software CPU); "
                + "give one of them", error("-accel", "xen"));
        assertEquals("-accel tcg,thread=single is not supported: this engine takes no accelerator properties; give "
                + "-accel kvm or -accel tcg", error("-accel", "tcg,thread=single"));
        assertEquals("-machine pc,accel=kvm:hvf is not supported: this engine runs on kvm (Linux KVM) or tcg (its "
                + "software CPU); give one of them", error("-machine", "pc,accel=kvm:hvf"));
        assertEquals("-accel (or -enable-kvm) and -machine accel= name different accelerators (tcg and kvm); give "
                + "one of them", error("-accel", "tcg", "-machine", "accel=kvm"));
        assertEquals("-accel (or -enable-kvm) and -machine accel= name different accelerators (kvm and kvm:tcg); "
                + "give one of them", error("-enable-kvm", "-machine", "accel=kvm:tcg"));
    }

    @Test
    void theKvmDeviceComesFromThePropertyThenTheEnvironmentThenDevKvm() {
        String before = System.getProperty("jkvm.kvm.device");
        try {
            System.setProperty("jkvm.kvm.device", "/nonexistent/kvm");
            assertEquals(Path.of("/nonexistent/kvm"), parse().kvmDevice());
            assertEquals(Path.of("/tmp/other"), parse("-kvm-device", "/tmp/other").kvmDevice(), "-kvm-device wins");
            System.clearProperty("jkvm.kvm.device");
            String env = System.getenv(VmConfig.KVM_DEVICE_ENV);
            assertEquals(env == null || env.isBlank() ? Path.of("/dev/kvm") : Path.of(env), parse().kvmDevice());
        } finally {
            if (before == null) {
                System.clearProperty("jkvm.kvm.device");
            } else {
                System.setProperty("jkvm.kvm.device", before);
            }
        }
    }

    @Test
    void kernelIrqchipAndNoRebootSetThePlatformOptions() {
        assertEquals(MachineOptions.DEFAULT, parse().machine());
        assertEquals(new MachineOptions(MachineOptions.IrqChip.OFF, true),
                parse("-machine", "pc,accel=kvm,kernel-irqchip=off", "-no-reboot").machine());
        assertEquals(List.of(Accelerator.KVM), parse("-machine", "pc,accel=kvm,kernel-irqchip=off").accel());
        assertEquals(MachineOptions.IrqChip.ON, parse("-machine", "kernel-irqchip=on").machine().irqchip());
        EngineException e = assertThrows(EngineException.class, () -> parse("-machine", "pc,kernel-irqchip=split"));
        assertEquals("-machine pc,kernel-irqchip=split: kernel-irqchip=split is not supported; give "
                + "kernel-irqchip=on or kernel-irqchip=off", e.getMessage());
    }
}
