package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.firmware.Firmware;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, acceptance 5: the engine refuses what it cannot boot with one sentence on stderr and exit status 1: a
 * file that is neither a bzImage, an ELF kernel nor a multiboot kernel; an initrd that does not fit in RAM; a kernel
 * that needs more RAM than the guest has.
 */
class BootBadInputTest {
    @TempDir
    Path dir;

    private void assertOneSentence(String what, Object[] result, String expectedStart) {
        assertEquals(1, result[0], what + ": exit status; stderr: " + result[1]);
        String err = ((String) result[1]).strip();
        assertFalse(err.contains("\n"), what + " printed more than one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), what + " printed a stack trace: " + err);
        assertTrue(err.startsWith("jkvm-engine: " + expectedStart), what + ": " + err);
        assertTrue(err.endsWith("-m") || err.endsWith("-kernel") || err.endsWith("bzImage"), what
                + " says what to do: " + err);
    }

    /** A bzImage header of boot protocol 2.15 with the 64-bit entry whose kernel needs 16 MiB + init_size. */
    private Path bzImage(long initSize) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(5 * 512 + 4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) 4).putShort(0x1fe, (short) 0xAA55).put(0x201, (byte) 0x6A).putInt(0x202, 0x53726448)
                .putShort(0x206, (short) 0x020f).put(0x211, (byte) 1).putInt(0x214, 0x100000)
                .putInt(0x22c, 0x7fffffff).putInt(0x230, 0x200000).put(0x234, (byte) 1).putShort(0x236, (short) 1)
                .putInt(0x238, 2047).putLong(0x258, 0x1000000).putInt(0x260, (int) initSize);
        Path f = dir.resolve("bzImage");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void aFileThatIsNoKernel() throws Exception {
        Path script = dir.resolve("not-a-kernel.sh");
        Files.writeString(script, "#!/bin/sh\necho hello\n");
        assertOneSentence("a shell script", EngineProcess.runToEnd(dir, "-kernel", script.toString()),
                "kernel file " + script + " is neither a Linux bzImage, an ELF kernel nor a multiboot kernel; pass "
                + "one of those with -kernel");
    }

    @Test
    void aKernelThatNeedsMoreRamThanGiven() throws Exception {
        Path k = bzImage(100L << 20);
        assertOneSentence("a big kernel in 64 MiB", EngineProcess.runToEnd(dir, "-m", "64", "-kernel", k.toString()),
                "kernel file " + k + " needs 116 MiB of RAM (it runs at 0x1000000 and needs 100 MiB from there, "
                + "init_size) but the guest has 64 MiB; with 16 MiB more for its first allocations, give it at least "
                + "132 MiB with -m");
    }

    @Test
    void anInitrdThatDoesNotFitInRam() throws Exception {
        Path initrd = dir.resolve("big.img");
        try (RandomAccessFile f = new RandomAccessFile(initrd.toFile(), "rw")) {
            f.setLength(40L << 20);
        }
        Path k = bzImage(8L << 20);
        assertOneSentence("a 40 MiB initrd in 32 MiB", EngineProcess.runToEnd(dir, "-m", "32", "-kernel",
                k.toString(), "-initrd", initrd.toString()), "the initrd (" + initrd + ", 41943040 bytes) does not "
                + "fit in RAM: the kernel ends at 0x1800000 and the initrd must end below 0x2000000; give the guest "
                + "more memory with -m");
        Path fw32 = Firmware.extract32To(dir);
        assertOneSentence("a multiboot module beyond RAM", EngineProcess.runToEnd(dir, "-m", "32", "-kernel",
                fw32.toString(), "-initrd", initrd.toString()), "the initrd " + initrd + " (41943040 bytes) does "
                + "not fit in RAM: as module 0 it would end at ");
    }
}
