package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.memory.MemoryRegion;
import org.junit.jupiter.api.Test;

/**
 * Whole migrations over loopback tcp between memfd guests ({@link MemfdVm}) with the destination preallocating
 * from the RAM_LAYOUT hint: RAM arrives exactly, a filled guest's destination allocates at most its data extent
 * (the part the stream has not passed yet), and an idle guest's destination allocates only the few pages it holds.
 */
class PreallocMigrationTest {
    static final long MIB = 1L << 20;
    static final int PAGE = 4096;

    static IncomingMigration migrate(MemfdVm src, MemfdVm dst) throws Exception {
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withMaxBandwidth(0).withTimeouts(10_000, 10_000),
                MigrationListener.NONE);
        MigrationStats stats = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, stats.status(), () -> "source: " + stats.errorDesc());
        assertEquals(MigrationStatus.COMPLETED, in.await(10_000), () -> "destination: " + in.error());
        return in;
    }

    @Test
    void aFilledGuestArrivesExactlyAndPreallocationStaysInsideItsExtent() throws Exception {
        try (MemfdVm src = new MemfdVm(128 * MIB); MemfdVm dst = new MemfdVm(128 * MIB)) {
            MemoryRegion r = src.memory().regions().get(0);
            var view = r.view(16 * MIB, (int) (96 * MIB));
            for (int i = 0; i < view.capacity(); i += 512) {
                view.putLong(i, i + 1L);
            }
            IncomingMigration in = migrate(src, dst);
            assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()), "RAM differs");
            assertTrue(in.preallocatedBytes() <= 96 * MIB, "never more than the data extent: "
                    + in.preallocatedBytes());
        }
    }

    @Test
    void anIdleGuestsDestinationAllocatesOnlyWhatItHolds() throws Exception {
        try (MemfdVm src = new MemfdVm(256 * MIB); MemfdVm dst = new MemfdVm(256 * MIB)) {
            for (long p = 100; p < 60_000; p += 997) {
                src.memory().writeLongLE(p * PAGE, p); // 61 scattered pages, as an idle guest's firmware and stack
            }
            IncomingMigration in = migrate(src, dst);
            assertTrue(in.preallocatedBytes() <= 61L * PAGE, "preallocated " + in.preallocatedBytes() + " bytes");
            long populated = dst.memory().regions().get(0).populated().count();
            assertTrue(populated < 200, populated + " pages of the 65,536 are allocated on the destination");
            assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()), "RAM differs"); // reads all
        }
    }
}
