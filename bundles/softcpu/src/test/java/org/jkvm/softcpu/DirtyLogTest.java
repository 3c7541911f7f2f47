package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.memory.MemoryRegion;
import org.junit.jupiter.api.Test;

/**
 * Exact dirty tracking under a concurrent, hostile fetcher: a guest rewrites 256 pages, a REP STOSQ range, its
 * stack and (through A/D bits) its page tables forever while another thread fetches the dirty log as fast as it
 * can and copies every reported page into a shadow RAM, as pre-copy migration does. After a final stop-and-copy,
 * the shadow must equal RAM byte for byte: a single missed page would differ.
 */
class DirtyLogTest {
    private static final String GUEST = ".code64\n"
            + " mov $0x1000000, %rbx\n xor %r12, %r12\n"
            + "2: inc %r12\n mov %rbx, %rdi\n mov $256, %ecx\n"
            + "1: mov %r12, (%rdi)\n mov %r12, 2048(%rdi)\n add $4096, %rdi\n dec %ecx\n jnz 1b\n"
            + " mov $0x1200000, %rdi\n mov %r12, %rax\n mov $1536, %ecx\n rep stosq\n"
            + " push %r12\n pop %rax\n jmp 2b\n";

    @Test
    void everyWrittenPageIsReportedUnderConcurrentFetches() throws Exception {
        byte[] code = Asm.assemble(GUEST);
        long ram = 32L << 20;
        try (TestVm t = new TestVm(ram)) {
            t.load(0x100000, code);
            t.longMode(0x100000, 0x300000);
            MemoryRegion region = t.memory.regions().get(0);
            int size = (int) region.sizeBytes();
            ByteBuffer live = region.view(0, size);
            byte[] shadow = new byte[size];
            live.get(0, shadow);   // the first full pass
            long[] bitmap = new long[t.vm.dirtyLogWords(region)];
            AtomicReference<VcpuExit> last = new AtomicReference<>();
            Thread vcpu = new Thread(() -> {
                VcpuExit e;
                do {
                    e = t.vcpu.run();
                } while (e == VcpuExit.CONTINUE);
                last.set(e);
            });
            vcpu.start();
            long reported = 0;
            for (int round = 0; round < 3000; round++) {
                t.vm.fetchDirtyLog(region, bitmap);
                reported += copyReported(bitmap, live, shadow);
                if ((round & 7) == 0) {
                    Thread.yield();
                }
            }
            t.vcpu.kick();
            vcpu.join();
            assertEquals(VcpuExit.INTERRUPTED, last.get());
            t.vm.fetchDirtyLog(region, bitmap);
            copyReported(bitmap, live, shadow);
            byte[] now = new byte[size];
            live.get(0, now);
            assertTrue(reported > 256, "the guest ran and its pages were reported: " + reported);
            assertArrayEquals(now, shadow, "a page written by the guest was never reported");
        }
    }

    private static long copyReported(long[] bitmap, ByteBuffer live, byte[] shadow) {
        long n = 0;
        for (int w = 0; w < bitmap.length; w++) {
            long bits = bitmap[w];
            while (bits != 0) {
                int b = Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                int page = w * 64 + b;
                live.get(page * 4096, shadow, page * 4096, 4096);
                n++;
            }
        }
        return n;
    }

    @Test
    void aFetchFromInsideAnIoCallbackOnTheVcpuThreadDoesNotWaitForItself() {
        // The guest writes a page, then OUTs; the OUT handler (on the vCPU thread) fetches the dirty log.
        String src = ".code64\n movq $7, 0x500000\n out %al, $0x80\n movq $8, 0x501000\n out %al, $0x80\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            MemoryRegion region = t.memory.regions().get(0);
            long[] bitmap = new long[t.vm.dirtyLogWords(region)];
            java.util.List<Boolean> seen = new java.util.ArrayList<>();
            t.ops.onOut = (port, n) -> {
                t.vm.fetchDirtyLog(region, bitmap);
                long page = n == 1 ? 0x500 : 0x501;
                seen.add((bitmap[(int) (page / 64)] & (1L << (page % 64))) != 0);
            };
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(java.util.List.of(true, true), seen);
        }
    }
}
