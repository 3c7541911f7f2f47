package org.jkvm.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable native buffer for ioctl arguments, with a little-endian {@link ByteBuffer} view over it, so uapi
 * structs are filled in place rather than through JNA {@code Structure} copies. Grows on demand; never shrinks.
 * Not thread-safe: each owner (one {@link VmFd}, one {@link VcpuFd}) guards its own.
 */
final class IoctlBuffer implements AutoCloseable {
    private Memory memory;
    private ByteBuffer buffer;

    IoctlBuffer(int initialBytes) {
        allocate(initialBytes);
    }

    /** Makes room for {@code bytes}, zeroes them, and returns the little-endian view (position 0). */
    ByteBuffer zeroed(int bytes) {
        ensure(bytes);
        memory.clear(bytes);
        return buffer;
    }

    /** Makes room for {@code bytes} without clearing, and returns the view. */
    ByteBuffer ensure(int bytes) {
        if (memory == null || memory.size() < bytes) {
            allocate(Math.max(bytes, memory == null ? 0 : (int) Math.min(Integer.MAX_VALUE, memory.size() * 2)));
        }
        return buffer;
    }

    /** The native address of the buffer, for ioctl arguments. */
    long address() {
        return Pointer.nativeValue(memory);
    }

    /** The JNA pointer (for bulk copies into Java arrays). */
    Pointer pointer() {
        return memory;
    }

    private void allocate(int bytes) {
        if (memory != null) {
            memory.close();
        }
        memory = new Memory(Math.max(bytes, 8));
        buffer = memory.getByteBuffer(0, memory.size()).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        if (memory != null) {
            memory.close();
            memory = null;
            buffer = null;
        }
    }
}
