package org.jkvm.softcpu.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.mem.PhysMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The platform's wiring with two local APICs: GSI routing (IRQ 0 on pin 2, the PIC in parallel), I/O APIC
 * destinations (physical, logical flat and cluster, lowest priority), NMI and ExtINT delivery, MSI, IPIs between
 * APICs.
 */
class SoftIrqChipTest {
    private final long[] now = {1_000_000_000L};
    private final MmapGuestMemory memory = MmapGuestMemory.allocate(1 << 20);
    private final SoftIrqChip chip = new SoftIrqChip(() -> now[0], false, "test");
    private final Lapic[] apics = new Lapic[2];

    SoftIrqChipTest() {
        for (int i = 0; i < 2; i++) {
            Cpu cpu = new Cpu(i, new PhysMemory(memory));
            cpu.apicBase = 0xfee00800L | (i == 0 ? 0x100 : 0);
            apics[i] = chip.attach(cpu, () -> { });
            write(i, 0xf0, 0x1ff);
        }
        // The PIC initialised and fully masked, as Linux leaves it with the I/O APIC in use.
        int[] init = {0x20, 0x11, 0x21, 0x20, 0x21, 0x04, 0x21, 0x01, 0x21, 0xff, 0xa0, 0x11, 0xa1, 0x28, 0xa1, 0x02,
            0xa1, 0x01, 0xa1, 0xff};
        for (int k = 0; k < init.length; k += 2) {
            chip.pioWrite(init[k], init[k + 1]);
        }
    }

    @AfterEach
    void close() {
        chip.close();
        memory.close();
    }

    private void write(int apic, int offset, int v) {
        synchronized (chip.lock) {
            apics[apic].write(offset >> 4, v);
        }
    }

    private boolean irr(int apic, int vector) {
        synchronized (chip.lock) {
            return (apics[apic].read(0x20 + (vector >> 5)) >>> (vector & 31) & 1) != 0;
        }
    }

    private void route(int pin, long entry) {
        chip.ioapicWrite(0, 0x11 + 2 * pin);
        chip.ioapicWrite(0x10, (int) (entry >>> 32));
        chip.ioapicWrite(0, 0x10 + 2 * pin);
        chip.ioapicWrite(0x10, (int) entry);
    }

    @Test
    void irq0ReachesPin2AndGsi2NoPin() {
        route(2, 0x30);
        route(0, 0x31);
        chip.setIrq(0, true);
        chip.setIrq(0, false);
        assertTrue(irr(0, 0x30), "GSI 0 (the PIT) is I/O APIC pin 2");
        assertFalse(irr(0, 0x31));
        route(2, 0x32);
        chip.setIrq(2, true);
        assertFalse(irr(0, 0x32), "GSI 2 (the cascade) reaches no pin");
        assertThrows(HypervisorException.class, () -> chip.setIrq(24, true));
    }

    @Test
    void destinationsPhysicalLogicalAndLowestPriority() {
        route(5, 1L << 56 | 0x40);
        chip.setIrq(5, true);
        assertTrue(irr(1, 0x40) && !irr(0, 0x40), "physical destination 1");
        write(0, 0xd0, 0x01000000);
        write(1, 0xd0, 0x02000000);
        route(6, 3L << 56 | 0x800 | 0x41);
        chip.setIrq(6, true);
        assertTrue(irr(0, 0x41) && irr(1, 0x41), "logical flat: both bits");
        write(0, 0xe0, 0x0fffffff);
        write(1, 0xe0, 0x0fffffff);
        write(0, 0xd0, 0x11000000);
        write(1, 0xd0, 0x21000000);
        route(7, 0x21L << 56 | 0x800 | 0x42);
        chip.setIrq(7, true);
        assertTrue(!irr(0, 0x42) && irr(1, 0x42), "logical cluster 2, member 1");
        write(0, 0x80, 0x40);
        route(8, 0xffL << 56 | 0x100 | 0x43);
        chip.setIrq(8, true);
        assertTrue(!irr(0, 0x43) && irr(1, 0x43), "lowest priority: the APIC with the lower TPR");
    }

    @Test
    void nmiExtIntAndMsi() {
        route(9, 0x400);
        chip.setIrq(9, true);
        assertTrue(apics[0].takeNmi(), "NMI delivery");
        assertFalse(apics[0].takeNmi());
        write(0, 0x350, 0x10700);
        chip.pioWrite(0x21, 0xfd);
        route(1, 0x700);
        chip.setIrq(1, true);
        assertEquals(0x21, apics[0].acknowledge(), "ExtINT from the I/O APIC: the PIC's vector");
        chip.signalMsi(0xfee01000L, 0x4055);
        assertTrue(irr(1, 0x55) && !irr(0, 0x55), "MSI to APIC 1, fixed");
        chip.signalMsi(0xfee00000L, 0x0400);
        assertTrue(apics[0].takeNmi(), "MSI NMI");
    }

    @Test
    void ipisBetweenApics() {
        write(0, 0x310, 1 << 24);
        write(0, 0x300, 0x60);
        assertTrue(irr(1, 0x60) && !irr(0, 0x60), "fixed IPI to APIC 1");
        write(1, 0x300, 3 << 18 | 0x61);
        assertTrue(irr(0, 0x61) && !irr(1, 0x61), "all excluding self");
        write(1, 0x300, 2 << 18 | 0x62);
        assertTrue(irr(0, 0x62) && irr(1, 0x62), "all including self");
        write(0, 0x300, 1 << 18 | 0x400);
        assertTrue(apics[0].takeNmi(), "NMI to self");
        write(0, 0x300, 3 << 18 | 0x500);
        assertFalse(irr(1, 0), "INIT is not modelled: dropped");
    }
}
