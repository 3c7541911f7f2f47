package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ioctl numbers, capability numbers and struct layouts against known values and against linux/kvm.h via gcc. */
class KvmIoctlsTest {
    @Test
    void knownNumbers() {
        assertEquals(0xAE00L, KvmIoctls.KVM_GET_API_VERSION);
        assertEquals(0xAE01L, KvmIoctls.KVM_CREATE_VM);
        assertEquals(0xAE80L, KvmIoctls.KVM_RUN);
        assertEquals(0x4010AE42L, KvmIoctls.KVM_GET_DIRTY_LOG);
        assertEquals(0x4020AE46L, KvmIoctls.KVM_SET_USER_MEMORY_REGION);
        assertEquals(0x8090AE81L, KvmIoctls.KVM_GET_REGS);
        assertEquals(0x8138AE83L, KvmIoctls.KVM_GET_SREGS);
        assertEquals(0xC008AE88L, KvmIoctls.KVM_GET_MSRS);
        assertEquals(0x4008AE90L, KvmIoctls.KVM_SET_CPUID2);
        assertEquals(0x4004AE86L, KvmIoctls.KVM_INTERRUPT);
        assertEquals(0xC018AEC0L, KvmIoctls.KVM_CLEAR_DIRTY_LOG);
        assertEquals(0x4068AEA3L, KvmIoctls.KVM_ENABLE_CAP);
        assertEquals(0xAEA3L, KvmIoctls.KVM_GET_TSC_KHZ);
        assertEquals(0x9000AEA4L, KvmIoctls.KVM_GET_XSAVE);
        assertEquals(0xAE60L, KvmIoctls.KVM_CREATE_IRQCHIP);
        assertEquals(0xC208AE62L, KvmIoctls.KVM_GET_IRQCHIP);
        assertEquals(0x8208AE63L, KvmIoctls.KVM_SET_IRQCHIP, "kvm.h declares it _IOR");
        assertEquals(0x4008AE6AL, KvmIoctls.KVM_SET_GSI_ROUTING);
        assertEquals(0x8070AE9FL, KvmIoctls.KVM_GET_PIT2);
        assertEquals(0x4070AEA0L, KvmIoctls.KVM_SET_PIT2);
        assertEquals(0x4020AEA5L, KvmIoctls.KVM_SIGNAL_MSI);
        assertEquals(0x8400AE8EL, KvmIoctls.KVM_GET_LAPIC);
    }

    @Test
    void everyIoctlAndCapabilityMatchesTheKernelHeader(@TempDir Path dir) throws Exception {
        Map<String, Long> ours = new LinkedHashMap<>();
        collect(KvmIoctls.class, "KVM_", ours);
        collect(KvmCaps.class, "KVM_", ours);
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <linux/kvm.h>\nint main(void){\n");
        for (String name : ours.keySet()) {
            c.append("printf(\"%s %llu\\n\", \"").append(name).append("\", (unsigned long long)(")
                    .append(name).append("));\n");
        }
        Map<String, Long> kernel = compileAndRun(dir, c.append("return 0;}\n").toString());
        for (Map.Entry<String, Long> e : ours.entrySet()) {
            assertEquals(kernel.get(e.getKey()), e.getValue(), e.getKey());
        }
    }

    @Test
    void structSizesAndKvmRunOffsetsMatchTheKernelHeader(@TempDir Path dir) throws Exception {
        Map<String, Long> ours = new LinkedHashMap<>();
        ours.put("sizeof(struct kvm_regs)", (long) Regs.SIZE);
        ours.put("sizeof(struct kvm_sregs)", (long) Sregs.SIZE);
        ours.put("sizeof(struct kvm_segment)", (long) Segment.SIZE);
        ours.put("sizeof(struct kvm_dtable)", (long) Dtable.SIZE);
        ours.put("sizeof(struct kvm_fpu)", (long) Fpu.SIZE);
        ours.put("sizeof(struct kvm_xsave)", (long) Xsave.SIZE);
        ours.put("sizeof(struct kvm_xcrs)", (long) Xcrs.SIZE);
        ours.put("sizeof(struct kvm_msr_entry)", (long) MsrEntry.SIZE);
        ours.put("sizeof(struct kvm_cpuid_entry2)", (long) CpuidEntry.SIZE);
        ours.put("sizeof(struct kvm_vcpu_events)", (long) VcpuEvents.SIZE);
        ours.put("sizeof(struct kvm_mp_state)", (long) MpState.SIZE);
        ours.put("sizeof(struct kvm_debugregs)", (long) DebugRegs.SIZE);
        ours.put("sizeof(struct kvm_irqchip)", (long) KvmIoctls.IRQCHIP_SIZE);
        ours.put("offsetof(struct kvm_irqchip, chip)", 8L);
        ours.put("sizeof(struct kvm_pic_state)", (long) KvmPicState.SIZE);
        ours.put("offsetof(struct kvm_pic_state, irq_base)", 5L);
        ours.put("offsetof(struct kvm_pic_state, init_state)", 9L);
        ours.put("offsetof(struct kvm_pic_state, elcr_mask)", 15L);
        ours.put("sizeof(struct kvm_ioapic_state)", (long) KvmIoapicState.SIZE);
        ours.put("offsetof(struct kvm_ioapic_state, id)", 12L);
        ours.put("offsetof(struct kvm_ioapic_state, irr)", 16L);
        ours.put("offsetof(struct kvm_ioapic_state, redirtbl)", 24L);
        ours.put("sizeof(struct kvm_pit_state2)", (long) KvmPitState2.SIZE);
        ours.put("offsetof(struct kvm_pit_state2, flags)", 72L);
        ours.put("sizeof(struct kvm_pit_channel_state)", (long) KvmPitState2.Channel.SIZE);
        ours.put("offsetof(struct kvm_pit_channel_state, latched_count)", 4L);
        ours.put("offsetof(struct kvm_pit_channel_state, read_state)", 9L);
        ours.put("offsetof(struct kvm_pit_channel_state, mode)", 13L);
        ours.put("offsetof(struct kvm_pit_channel_state, gate)", 15L);
        ours.put("offsetof(struct kvm_pit_channel_state, count_load_time)", 16L);
        ours.put("sizeof(struct kvm_lapic_state)", (long) KvmLapicState.SIZE);
        ours.put("sizeof(struct kvm_irq_routing_entry)", (long) IrqRoute.SIZE);
        ours.put("offsetof(struct kvm_irq_routing_entry, u.irqchip.irqchip)", 16L);
        ours.put("offsetof(struct kvm_irq_routing_entry, u.irqchip.pin)", 20L);
        ours.put("sizeof(struct kvm_msi)", 32L);
        ours.put("offsetof(struct kvm_msi, data)", 8L);
        ours.put("KVM_IRQ_ROUTING_IRQCHIP", (long) IrqRoute.TYPE_IRQCHIP);
        ours.put("KVM_IRQCHIP_PIC_MASTER", (long) IrqRoute.PIC_MASTER);
        ours.put("KVM_IRQCHIP_PIC_SLAVE", (long) IrqRoute.PIC_SLAVE);
        ours.put("KVM_IRQCHIP_IOAPIC", (long) IrqRoute.IOAPIC);
        ours.put("KVM_PIT_FLAGS_HPET_LEGACY", (long) KvmPitState2.FLAG_HPET_LEGACY);
        ours.put("KVM_PIT_FLAGS_SPEAKER_DATA_ON", (long) KvmPitState2.FLAG_SPEAKER_DATA_ON);
        ours.put("offsetof(struct kvm_sregs, gdt)", 192L);
        ours.put("offsetof(struct kvm_sregs, cr0)", 224L);
        ours.put("offsetof(struct kvm_sregs, efer)", 264L);
        ours.put("offsetof(struct kvm_sregs, interrupt_bitmap)", 280L);
        ours.put("offsetof(struct kvm_segment, selector)", 12L);
        ours.put("offsetof(struct kvm_segment, unusable)", 22L);
        ours.put("offsetof(struct kvm_run, immediate_exit)", 1L);
        ours.put("offsetof(struct kvm_run, exit_reason)", 8L);
        ours.put("offsetof(struct kvm_run, io.port)", 34L);
        ours.put("offsetof(struct kvm_run, io.count)", 36L);
        ours.put("offsetof(struct kvm_run, io.data_offset)", 40L);
        ours.put("offsetof(struct kvm_run, mmio.data)", 40L);
        ours.put("offsetof(struct kvm_run, mmio.len)", 48L);
        ours.put("offsetof(struct kvm_run, mmio.is_write)", 52L);
        ours.put("offsetof(struct kvm_run, internal.ndata)", 36L);
        ours.put("offsetof(struct kvm_run, fail_entry.cpu)", 40L);
        ours.put("offsetof(struct kvm_vcpu_events, flags)", 20L);
        ours.put("offsetof(struct kvm_debugregs, dr7)", 40L);
        ours.put("offsetof(struct kvm_fpu, mxcsr)", 408L);
        ours.put("KVM_EXIT_IO", (long) KvmRun.EXIT_IO);
        ours.put("KVM_EXIT_HLT", (long) KvmRun.EXIT_HLT);
        ours.put("KVM_EXIT_MMIO", (long) KvmRun.EXIT_MMIO);
        ours.put("KVM_EXIT_SHUTDOWN", (long) KvmRun.EXIT_SHUTDOWN);
        ours.put("KVM_EXIT_FAIL_ENTRY", (long) KvmRun.EXIT_FAIL_ENTRY);
        ours.put("KVM_EXIT_INTERNAL_ERROR", (long) KvmRun.EXIT_INTERNAL_ERROR);
        ours.put("KVM_EXIT_SYSTEM_EVENT", (long) KvmRun.EXIT_SYSTEM_EVENT);
        ours.put("KVM_MP_STATE_HALTED", (long) MpState.HALTED);
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/kvm.h>\n"
                + "int main(void){\n");
        int i = 0;
        for (String expr : ours.keySet()) {
            c.append("printf(\"e").append(i++).append(" %llu\\n\", (unsigned long long)(").append(expr)
                    .append("));\n");
        }
        Map<String, Long> kernel = compileAndRun(dir, c.append("return 0;}\n").toString());
        i = 0;
        for (Map.Entry<String, Long> e : ours.entrySet()) {
            assertEquals(kernel.get("e" + i++), e.getValue(), e.getKey());
        }
    }

    private static void collect(Class<?> type, String prefix, Map<String, Long> out) throws IllegalAccessException {
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && f.getName().startsWith(prefix)) {
                out.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
    }

    private static Map<String, Long> compileAndRun(Path dir, String source) throws IOException, InterruptedException {
        Require.command("gcc");
        Require.path(Path.of("/usr/include/linux/kvm.h"), "the Linux uapi headers (linux-libc-dev) are needed");
        Path src = Files.writeString(dir.resolve("probe.c"), source);
        Path exe = dir.resolve("probe");
        Process gcc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true)
                .start();
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), "gcc failed: " + log);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        run.waitFor(10, TimeUnit.SECONDS);
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.split(" ");
            values.put(kv[0], Long.parseUnsignedLong(kv[1]));
        }
        return values;
    }
}
