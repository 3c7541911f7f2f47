package org.jkvm.loader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.jkvm.memory.GuestMemory;

/** Reading image files and writing bytes and strings into guest RAM, shared by the loaders. Stateless. */
public final class Images {
    private static final int ZERO_CHUNK = 64 * 1024;

    private Images() {
    }

    /**
     * Reads a whole file given on the command line, refusing a missing, unreadable or oversized one with one
     * sentence.
     *
     * @param file     the path
     * @param role     how the sentence names it, e.g. "kernel file" or "initrd file"
     * @param option   the option that named it, e.g. "-kernel"
     * @param maxBytes the largest accepted size
     * @throws LoaderException naming the file
     */
    public static byte[] read(Path file, String role, String option, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new LoaderException(role + " " + file + " is " + size + " bytes, more than the " + maxBytes
                        + "-byte limit; check the " + option + " path");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LoaderException(role + " " + file + " does not exist; check the " + option + " path", e);
        } catch (IOException e) {
            throw new LoaderException("cannot read " + role + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code length} zero bytes at {@code gpa}. */
    static void zero(GuestMemory memory, long gpa, long length) {
        byte[] zero = new byte[(int) Math.min(length, ZERO_CHUNK)];
        for (long done = 0; done < length; done += zero.length) {
            int n = (int) Math.min(zero.length, length - done);
            memory.write(gpa + done, ByteBuffer.wrap(zero, 0, n));
        }
    }

    /** Writes {@code bytes} at {@code gpa}. */
    static void put(GuestMemory memory, long gpa, byte[] bytes) {
        memory.write(gpa, ByteBuffer.wrap(bytes));
    }

    /** Writes {@code s} as NUL-terminated ISO-8859-1 bytes at {@code gpa}; returns the bytes written. */
    static int putString(GuestMemory memory, long gpa, String s) {
        byte[] b = cString(s);
        put(memory, gpa, b);
        return b.length;
    }

    /** {@code s} as ISO-8859-1 bytes with a NUL appended. */
    static byte[] cString(String s) {
        byte[] chars = s.getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[chars.length + 1];
        System.arraycopy(chars, 0, b, 0, chars.length);
        return b;
    }

    /** {@code n} rounded up to a multiple of 4 KiB. */
    static long pageAlign(long n) {
        return (n + 0xfff) & ~0xfffL;
    }
}
