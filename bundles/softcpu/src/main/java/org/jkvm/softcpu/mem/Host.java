package org.jkvm.softcpu.mem;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

import sun.misc.Unsafe;

/**
 * Raw little-endian access to host memory (guest RAM mapped by the memory module): the software CPU's fastest path.
 * Every address passed here comes from a TLB entry or a region bound that {@link PhysMemory} checked, and stays
 * inside one 4 KiB page of a live mapping; nothing else may call it. The host must be little-endian (x86-64).
 */
public final class Host {
    /** The Unsafe instance (static final, so the JIT treats it as a constant). */
    public static final Unsafe U = load();

    private Host() {
    }

    private static Unsafe load() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the software CPU needs a little-endian host");
        }
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("sun.misc.Unsafe is not available; the software CPU needs it", e);
        }
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes at host address {@code a}, zero-extended. */
    public static long get(long a, int size) {
        switch (size) {
            case 1: return U.getByte(a) & 0xffL;
            case 2: return U.getShort(a) & 0xffffL;
            case 4: return U.getInt(a) & 0xffffffffL;
            default: return U.getLong(a);
        }
    }

    /** Writes the low {@code size} bytes of {@code v} at host address {@code a}. */
    public static void put(long a, int size, long v) {
        switch (size) {
            case 1: U.putByte(a, (byte) v); break;
            case 2: U.putShort(a, (short) v); break;
            case 4: U.putInt(a, (int) v); break;
            default: U.putLong(a, v); break;
        }
    }
}
