package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The kvm_run flyweight over a synthetic page laid out as the kernel does (no /dev/kvm needed). */
class KvmRunTest {
    private final ByteBuffer page = ByteBuffer.allocateDirect(8192).order(ByteOrder.LITTLE_ENDIAN);
    private final KvmRun run = new KvmRun(page);

    @Test
    void ioExit() {
        page.putInt(8, KvmRun.EXIT_IO);
        page.put(32, (byte) KvmRun.IO_OUT).put(33, (byte) 2).putShort(34, (short) 0xf4f4).putInt(36, 1)
                .putLong(40, 4096);
        page.putShort(4096, (short) 0xbeef);
        assertEquals(KvmRun.EXIT_IO, run.exitReason());
        assertEquals(KvmRun.IO_OUT, run.ioDirection());
        assertEquals(2, run.ioSize());
        assertEquals(0xf4f4, run.ioPort(), "ports are unsigned");
        assertEquals(1, run.ioCount());
        assertEquals(4096, run.ioDataOffset());
        assertEquals(0xbeef, run.ioValue());
        page.put(33, (byte) 1);
        run.ioValue(0x1a5);
        assertEquals((byte) 0xa5, page.get(4096), "an IN of one byte keeps the low byte");
        assertEquals((byte) 0xbe, page.get(4097), "and leaves the next byte alone");
    }

    @Test
    void mmioExit() {
        page.putInt(8, KvmRun.EXIT_MMIO);
        page.putLong(32, 0xd0000000L).putLong(40, 0x1122334455667788L).putInt(48, 4).put(52, (byte) 1);
        assertEquals(0xd0000000L, run.mmioPhysAddr());
        assertEquals(0x55667788L, run.mmioData(), "only len bytes count");
        assertEquals(4, run.mmioLen());
        assertTrue(run.mmioIsWrite());
        page.putInt(48, 8).put(52, (byte) 0);
        assertFalse(run.mmioIsWrite());
        run.mmioData(-2L);
        assertEquals(-2L, page.getLong(40));
        assertEquals(-2L, run.mmioData());
    }

    @Test
    void errorExitsAndFlags() {
        page.putInt(32, KvmRun.INTERNAL_ERROR_EMULATION).putInt(36, 2).putLong(40, 7).putLong(48, 9);
        assertEquals(KvmRun.INTERNAL_ERROR_EMULATION, run.internalSuberror());
        assertEquals(2, run.internalNdata());
        assertEquals(9, run.internalData(1));
        page.putLong(32, 0x80000021L).putInt(40, 1);
        assertEquals(0x80000021L, run.failEntryReason());
        assertEquals(1, run.failEntryCpu());
        page.putInt(32, 2);
        assertEquals(2, run.systemEventType());
        page.put(12, (byte) 1).put(13, (byte) 1).putLong(16, 5).putLong(24, 0xfee00900L);
        assertTrue(run.readyForInterruptInjection());
        assertTrue(run.ifFlag());
        assertEquals(5, run.cr8());
        assertEquals(0xfee00900L, run.apicBase());
        assertEquals("HLT", KvmRun.exitName(KvmRun.EXIT_HLT));
        assertEquals("exit 99", KvmRun.exitName(99));
    }

    @Test
    void immediateExitLeavesTheInterruptWindowByteAlone() {
        run.requestInterruptWindow(true);
        run.immediateExit(true);
        assertEquals(1, page.get(0));
        assertEquals(1, page.get(1));
        assertTrue(run.immediateExit());
        run.immediateExit(false);
        assertEquals(1, page.get(0));
        assertEquals(0, page.get(1));
        assertFalse(run.immediateExit());
    }
}
