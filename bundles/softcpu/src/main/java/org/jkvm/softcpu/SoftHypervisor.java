package org.jkvm.softcpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.memory.GuestMemory;
import org.jkvm.softcpu.fpu.FpuImage;
import org.jkvm.softcpu.mem.Host;

/**
 * The software CPU as a {@link Hypervisor}: stateless apart from what it creates. Thread-safe.
 *
 * <p>CPUID (what this CPU implements, nothing more): vendor AuthenticAMD, family 17h; leaf 1 EDX fpu de pse tsc msr
 * pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2, ECX sse3 cx16 x2apic movbe popcnt
 * tsc-deadline xsave hypervisor (OSXSAVE follows CR4); leaf 7 fsgsbase bmi1 bmi2 erms adx rdpid; leaf 0xD x87 and
 * SSE state in 576 bytes, XSAVEOPT; 0x80000001 the AMD copies of leaf 1's bits (apic included), syscall nx pdpe1gb
 * rdtscp lm lahf_lm abm; 40 physical and 48 virtual address bits; 0x40000001 (KVM's features) kvmclock
 * (CLOCKSOURCE2) and its stable bit ({@link org.jkvm.softcpu.sys.KvmClock}). apic, x2apic and tsc-deadline need
 * {@code createIrqChip()}: like KVM, a vCPU runs the table it is given, so the engine leaves them out of a VM it
 * creates without interrupt controllers. No SSSE3/SSE4, AVX (VEX decodes only the BMI instructions).
 */
public final class SoftHypervisor implements Hypervisor {
    /** The TSC rate when the host's cannot be read: 1 GHz. */
    public static final int FALLBACK_TSC_KHZ = 1_000_000;
    static final int LEAF1_EAX = 0x00800f12;
    static final int LEAF1_EDX = 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8 | 1 << 9 | 1 << 11
            | 1 << 12 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 16 | 1 << 17 | 1 << 19 | 1 << 23 | 1 << 24 | 1 << 25
            | 1 << 26;
    static final int LEAF1_ECX = 1 | 1 << 13 | 1 << 21 | 1 << 22 | 1 << 23 | 1 << 24 | 1 << 26 | 1 << 31;
    /** The bits of leaf 1 EDX that AMD repeats in 0x80000001 EDX (0-9, 12-17, 23, 24). */
    static final int AMD_MIRRORED = 0x0183f3ff;

    /** KVM's paravirtual feature leaf. */
    static final int KVM_FEATURES_LEAF = 0x40000001;
    /** KVM_FEATURE_CLOCKSOURCE2 (kvmclock at MSRs 0x4b564d00/01) and KVM_FEATURE_CLOCKSOURCE_STABLE_BIT. */
    static final int KVM_FEATURES = 1 << 3 | 1 << 24;

    SoftHypervisor() {
        Host.U.pageSize();   // fails here, with a sentence, on a JVM without Unsafe
    }

    @Override
    public Accelerator accelerator() {
        return Accelerator.TCG;
    }

    @Override
    public String description() {
        return "software CPU (jkvm tcg interpreter)";
    }

    @Override
    public List<CpuidEntry> supportedCpuid() {
        int vb = 0x68747541;
        int vd = 0x69746e65;
        int vc = 0x444d4163;
        List<CpuidEntry> l = new ArrayList<>();
        l.add(new CpuidEntry(0, 0, false, 0xd, vb, vc, vd));
        l.add(new CpuidEntry(1, 0, false, LEAF1_EAX, 0x00000800, LEAF1_ECX, LEAF1_EDX));
        l.add(new CpuidEntry(7, 0, true, 0, 1 | 1 << 3 | 1 << 8 | 1 << 9 | 1 << 19, 1 << 22, 0));
        int xsave = (int) FpuImage.XSAVE_BYTES;
        l.add(new CpuidEntry(0xd, 0, true, (int) FpuImage.XCR0_SUPPORTED, xsave, xsave, 0));
        l.add(new CpuidEntry(0xd, 1, true, 1, 0, 0, 0));
        l.add(new CpuidEntry(0x80000000, 0, false, 0x80000008, vb, vc, vd));
        int ext = LEAF1_EDX & AMD_MIRRORED | 1 << 11 | 1 << 20 | 1 << 26 | 1 << 27 | 1 << 29;
        l.add(new CpuidEntry(0x80000001, 0, false, LEAF1_EAX, 0, 1 | 1 << 5, ext));
        byte[] brand = new byte[48];
        byte[] text = "jkvm software CPU (tcg)".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, brand, 0, text.length);
        for (int leaf = 0; leaf < 3; leaf++) {
            int[] r = new int[4];
            for (int k = 0; k < 4; k++) {
                int o = leaf * 16 + k * 4;
                r[k] = (brand[o] & 0xff) | (brand[o + 1] & 0xff) << 8 | (brand[o + 2] & 0xff) << 16
                        | (brand[o + 3] & 0xff) << 24;
            }
            l.add(new CpuidEntry(0x80000002 + leaf, 0, false, r[0], r[1], r[2], r[3]));
        }
        l.add(new CpuidEntry(0x80000008, 0, false, 40 | 48 << 8, 0, 0, 0));
        l.add(new CpuidEntry(KVM_FEATURES_LEAF, 0, false, KVM_FEATURES, 0, 0, 0));
        return List.copyOf(l);
    }

    @Override
    public int defaultTscKhz() {
        return hostTscKhz(Path.of("/proc/cpuinfo"));
    }

    /** The first "cpu MHz" line of {@code cpuinfo} in kHz, or {@link #FALLBACK_TSC_KHZ}. */
    static int hostTscKhz(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.US_ASCII)) {
                if (line.startsWith("cpu MHz")) {
                    int colon = line.indexOf(':');
                    double mhz = Double.parseDouble(line.substring(colon + 1).trim());
                    long khz = Math.round(mhz * 1000);
                    return khz > 0 && khz < Integer.MAX_VALUE ? (int) khz : FALLBACK_TSC_KHZ;
                }
            }
        } catch (IOException | RuntimeException e) {
            return FALLBACK_TSC_KHZ;
        }
        return FALLBACK_TSC_KHZ;
    }

    @Override
    public HvVm createVm(GuestMemory memory) {
        return new SoftVm(memory, defaultTscKhz());
    }

    @Override
    public void close() {
    }
}
