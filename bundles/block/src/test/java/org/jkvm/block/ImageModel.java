package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** What a disk should hold, byte for byte, updated beside every write the tests make. */
final class ImageModel {
    final byte[] bytes;

    ImageModel(int size) {
        this.bytes = new byte[size];
    }

    void fill(long offset, int length, int pattern) {
        Arrays.fill(bytes, (int) offset, (int) offset + length, (byte) pattern);
    }

    void put(long offset, byte[] data) {
        System.arraycopy(data, 0, bytes, (int) offset, data.length);
    }

    /** Writes the model to a raw file for qemu-img compare. */
    Path toRaw(Path file) throws IOException {
        Files.write(file, bytes);
        return file;
    }

    /** Reads the whole image through jkvm in chunks of {@code chunk} bytes and compares it with the model. */
    void assertImage(BlockImage img, int chunk, boolean direct) {
        assertEquals(bytes.length, img.sizeBytes());
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(chunk) : ByteBuffer.allocate(chunk);
        for (int off = 0; off < bytes.length; off += chunk) {
            int n = Math.min(chunk, bytes.length - off);
            b.clear().limit(n);
            img.read(off, b);
            assertEquals(n, b.position());
            for (int i = 0; i < n; i++) {
                if (b.get(i) != bytes[off + i]) {
                    fail("byte " + (off + i) + " of " + img.path() + " is " + b.get(i) + ", expected "
                            + bytes[off + i]);
                }
            }
        }
    }

    /** A buffer of {@code n} bytes of {@code pattern} (direct or heap). */
    static ByteBuffer buffer(int n, int pattern, boolean direct) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) pattern);
        }
        return b;
    }
}
