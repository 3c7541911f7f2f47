package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jkvm.devices.pci.PciBus;
import org.jkvm.loader.X86Layout;
import org.junit.jupiter.api.Test;

/**
 * The loader's picture of the PCI memory window (the DSDT's root bridge _CRS, the gap the e820 map leaves) is where
 * the devices' PCI bus places the BARs: the two bundles do not depend on each other, so the engine checks.
 */
class PciLayoutTest {
    @Test
    void theDsdtsWindowIsThePciBussHole() {
        assertEquals(PciBus.HOLE_BASE, X86Layout.PCI_WINDOW_START);
        assertEquals(PciBus.HOLE_END, X86Layout.PCI_WINDOW_END);
    }
}
