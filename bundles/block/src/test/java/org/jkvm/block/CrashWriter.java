package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The child process of {@link CrashConsistencyTest}: writes 4 KiB blocks hard to a qcow2 image (each slot once, in a
 * random order, so every write allocates: new clusters, new L2 tables, refcount blocks), flushing now and then, and
 * prints {@code ok SLOT} after each write returns. The parent kills it with SIGKILL at a moment of its choosing.
 * Arguments: image, seed, cache mode.
 */
public final class CrashWriter {
    /** The block each slot holds: 4096 bytes, every 8-byte word the slot number plus one. */
    static final int BLOCK = 4096;

    private CrashWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[1]));
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2)
                .withCache(CacheMode.parse(args[2])))) {
            int slots = (int) (img.sizeBytes() / BLOCK);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < slots; i++) {
                order.add(i);
            }
            Collections.shuffle(order, rnd);
            ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
            System.out.println("start");
            System.out.flush();
            for (int n = 0; n < slots; n++) {
                int slot = order.get(n);
                for (int w = 0; w < BLOCK / 8; w++) {
                    b.putLong(w * 8, slot + 1L);
                }
                b.clear();
                img.write((long) slot * BLOCK, b);
                if (n % 64 == 63) {
                    img.flush();
                }
                System.out.println("ok " + slot);
            }
            System.out.println("done");
        }
    }
}
