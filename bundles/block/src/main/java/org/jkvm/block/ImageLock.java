package org.jkvm.block;

import com.sun.jna.Memory;

/**
 * QEMU's image locking, so that QEMU and jkvm (and two jkvm engines) never write one image at once.
 *
 * <p><b>The protocol</b> (QEMU's file-posix driver; it is an on-disk convention, so it is followed exactly). A user
 * of an image holds shared ({@code F_RDLCK}) open-file-description locks on single bytes of the image file:
 * <pre>
 *   byte 100 + i   held while the user has permission i
 *   byte 200 + i   held while the user does NOT share permission i with others
 *   i: 0 consistent read, 1 write, 2 write unchanged, 3 resize
 * </pre>
 * A user may take permission i only if nobody holds byte 200+i, and may refuse to share i only if nobody holds
 * byte 100+i. The test is {@code F_OFD_GETLK} with {@code F_WRLCK} (which reports any other description's lock and
 * takes none). Bytes are locked first and tested after, so two users racing for the same image both see each
 * other and at most one wins. What jkvm takes, matching what QEMU takes on a qcow2 file:
 * <pre>
 *   writer: permissions read, write, resize  (100, 101, 103); does not share write, resize (201, 203)
 *   reader: permission  read                 (100);           does not share write, resize (201, 203)
 *   none:   nothing (an inactive migration destination, or force-share)
 * </pre>
 * So readers coexist, a writer excludes every other writer and reader, and QEMU's {@code qemu-io}/{@code qemu-img}
 * see a jkvm writer as "Failed to get "write" lock".
 *
 * <p><b>Why OFD locks and not {@code FileChannel.tryLock}.</b> The JDK's file locks are POSIX record locks
 * ({@code F_SETLK}): they belong to the process, so every descriptor of the file in the engine shares them and the
 * close of any one of them (a format probe, a second open of a backing file) silently drops them all; and QEMU's
 * protocol needs shared locks on single bytes tested without taking them. OFD locks belong to the open file
 * description: they live exactly as long as this image's descriptor, and are released by the kernel when the process
 * dies (SIGKILL included), so a crashed engine never leaves a stale lock.
 *
 * <p>Not thread-safe: the owning image calls it from {@code open}, {@code activate}, {@code inactivate} only.
 */
final class ImageLock {
    /** Permission bits, numbered as in QEMU's block layer (their bit index is the lock byte's offset). */
    static final int PERM_READ = 1;
    static final int PERM_WRITE = 2;
    static final int PERM_WRITE_UNCHANGED = 4;
    static final int PERM_RESIZE = 8;
    private static final int PERM_BITS = 4;
    private static final int PERM_BASE = 100;
    private static final int SHARED_BASE = 200;
    private static final String[] PERM_NAMES = {"consistent read", "write", "write unchanged", "resize"};

    /** What the image holds: permissions taken and permissions not shared. */
    enum Mode {
        NONE(0, 0),
        READER(PERM_READ, PERM_WRITE | PERM_RESIZE),
        WRITER(PERM_READ | PERM_WRITE | PERM_RESIZE, PERM_WRITE | PERM_RESIZE);

        final int perms;
        final int unshared;

        Mode(int perms, int unshared) {
            this.perms = perms;
            this.unshared = unshared;
        }
    }

    private final ImageFile file;
    private Mode mode = Mode.NONE;

    ImageLock(ImageFile file) {
        this.file = file;
    }

    Mode mode() {
        return mode;
    }

    /**
     * Moves to {@code target}: takes the new bytes, tests for conflicts, then drops the bytes no longer needed.
     * On a conflict every byte this call took is released again and the previous mode stays.
     *
     * @throws BlockException {@link BlockException.Kind#LOCKED} naming the image, the permission and the holder
     */
    void apply(Mode target) {
        int oldBytes = bytesOf(mode);
        int newBytes = bytesOf(target);
        int taken = newBytes & ~oldBytes;
        for (int i = 0; i < 2 * PERM_BITS; i++) {
            if ((taken & (1 << i)) != 0 && !set(offsetOf(i), LibC.F_RDLCK)) {
                release(taken);
                throw failure("cannot lock", offsetOf(i), LibC.errno());
            }
        }
        // A permission we refuse must not be held; a permission we take must not be refused by others. Held
        // permissions are tested first, so a writer elsewhere is reported as the writer it is (it also refuses).
        for (int i = 0; i < PERM_BITS; i++) {
            if ((target.unshared & (1 << i)) != 0 && heldByOthers(PERM_BASE + i)) {
                release(taken);
                throw conflict(target, PERM_BASE + i);
            }
        }
        for (int i = 0; i < PERM_BITS; i++) {
            if ((target.perms & (1 << i)) != 0 && heldByOthers(SHARED_BASE + i)) {
                release(taken);
                throw conflict(target, SHARED_BASE + i);
            }
        }
        release(oldBytes & ~newBytes);
        mode = target;
    }

    /** Bits 0-3: bytes 100+i; bits 4-7: bytes 200+i. */
    private static int bytesOf(Mode m) {
        return m.perms | (m.unshared << PERM_BITS);
    }

    private static int offsetOf(int byteBit) {
        return byteBit < PERM_BITS ? PERM_BASE + byteBit : SHARED_BASE + byteBit - PERM_BITS;
    }

    private void release(int bytes) {
        for (int i = 0; i < 2 * PERM_BITS; i++) {
            if ((bytes & (1 << i)) != 0) {
                set(offsetOf(i), LibC.F_UNLCK);
            }
        }
    }

    /** {@code struct flock} on x86-64: short type, short whence, off_t start (at 8), off_t len, pid_t pid. */
    private static Memory flock(short type, long start) {
        Memory m = new Memory(32);
        m.clear();
        m.setShort(0, type);
        m.setShort(2, (short) LibC.SEEK_SET);
        m.setLong(8, start);
        m.setLong(16, 1);
        return m;
    }

    private boolean set(long offset, short type) {
        return LibC.fcntl(file.fd(), LibC.F_OFD_SETLK, flock(type, offset)) == 0;
    }

    /** Whether another open file description holds a lock on the byte ({@code F_OFD_GETLK}, takes nothing). */
    private boolean heldByOthers(long offset) {
        Memory m = flock(LibC.F_WRLCK, offset);
        if (LibC.fcntl(file.fd(), LibC.F_OFD_GETLK, m) != 0) {
            throw failure("cannot test the lock of", offset, LibC.errno());
        }
        return m.getShort(0) != LibC.F_UNLCK;
    }

    /** Whether any open file description other than {@code fd}'s holds the write permission byte. */
    static boolean writeHeldByOthers(ImageFile probe) {
        return new ImageLock(probe).heldByOthers(PERM_BASE + 1);
    }

    private BlockException failure(String what, long offset, int errno) {
        return new BlockException(BlockException.Kind.IO, what + " byte " + offset + " of " + file.path() + ": "
                + LibC.strerror(errno) + "; the file system must support OFD locks (fcntl F_OFD_SETLK)");
    }

    private BlockException conflict(Mode target, int offset) {
        boolean othersHold = offset < SHARED_BASE;
        int perm = othersHold ? offset - PERM_BASE : offset - SHARED_BASE;
        String holder = LockHolders.describe(file.path(), file.fd(), offset);
        String sentence;
        if (othersHold && perm == 1) {
            sentence = file.path() + " is locked for writing by another process (" + holder + "); "
                    + (target == Mode.WRITER ? "two writers would corrupt it, so stop that process or migrate its "
                    + "guest away first" : "it cannot be read consistently while it is written, so wait until that "
                    + "process closes it (or use force-share=on, readonly=on, and accept torn reads)");
        } else if (!othersHold && perm == 1) {
            sentence = file.path() + " is in use by another process (" + holder + ") that does not allow writers "
                    + "(it reads the image, or uses it as a backing file); stop that process first or open the image "
                    + "readonly=on";
        } else {
            sentence = file.path() + " is in use by another process (" + holder + ") in a way that conflicts with "
                    + (othersHold ? "not sharing" : "taking") + " the " + PERM_NAMES[perm] + " permission; stop "
                    + "that process first";
        }
        return new BlockException(BlockException.Kind.LOCKED, sentence);
    }
}
