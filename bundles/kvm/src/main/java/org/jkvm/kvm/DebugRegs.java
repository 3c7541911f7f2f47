package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The debug registers, {@code struct kvm_debugregs} (128 bytes).
 *
 * <pre>
 * offset 0 u64 db[4]  32 u64 dr6  40 u64 dr7  48 u64 flags  56 u64 reserved[9]
 * </pre>
 *
 * @param db    DR0-DR3 (4 words); copied, never shared
 * @param dr6   DR6
 * @param dr7   DR7
 * @param flags kernel flags (0)
 */
public record DebugRegs(long[] db, long dr6, long dr7, long flags) {
    /** Size of {@code struct kvm_debugregs} in bytes. */
    public static final int SIZE = 128;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 7 * 8;

    /** Validates and copies {@code db}. */
    public DebugRegs {
        if (db.length != 4) {
            throw new IllegalArgumentException("db has 4 registers, got " + db.length);
        }
        db = db.clone();
    }

    /** A copy of DR0-DR3. */
    @Override
    public long[] db() {
        return db.clone();
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static DebugRegs read(ByteBuffer le, int offset) {
        long[] db = new long[4];
        for (int i = 0; i < 4; i++) {
            db[i] = le.getLong(offset + 8 * i);
        }
        return new DebugRegs(db, le.getLong(offset + 32), le.getLong(offset + 40), le.getLong(offset + 48));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (reserved words zeroed). */
    public void write(ByteBuffer le, int offset) {
        for (int i = 0; i < 4; i++) {
            le.putLong(offset + 8 * i, db[i]);
        }
        le.putLong(offset + 32, dr6).putLong(offset + 40, dr7).putLong(offset + 48, flags);
        for (int i = 0; i < 9; i++) {
            le.putLong(offset + 56 + 8 * i, 0L);
        }
    }

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        for (long d : db) {
            out.putLong(d);
        }
        out.putLong(dr6).putLong(dr7).putLong(flags);
    }

    /** Reads what {@link #encode} wrote. */
    public static DebugRegs decode(ByteBuffer in) {
        long[] db = {in.getLong(), in.getLong(), in.getLong(), in.getLong()};
        return new DebugRegs(db, in.getLong(), in.getLong(), in.getLong());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DebugRegs d && Arrays.equals(db, d.db) && dr6 == d.dr6 && dr7 == d.dr7
                && flags == d.flags;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(db) * 31 + Long.hashCode(dr6 ^ dr7 ^ flags);
    }

    @Override
    public String toString() {
        return "DebugRegs[db=" + Arrays.toString(db) + ", dr6=0x" + Long.toHexString(dr6) + ", dr7=0x"
                + Long.toHexString(dr7) + "]";
    }
}
