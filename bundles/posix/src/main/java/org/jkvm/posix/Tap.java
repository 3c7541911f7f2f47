package org.jkvm.posix;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * A Linux tap interface opened through {@code /dev/net/tun} ({@code TUNSETIFF} with {@code IFF_TAP|IFF_NO_PI}: one
 * Ethernet frame per read or write, no packet-information prefix, no virtio-net header), and the few interface
 * ioctls a NIC backend needs: bring a link up, enslave it to a bridge.
 *
 * <p>An existing persistent tap ({@code ip tuntap add mode tap}) is attached; a missing one is created and vanishes
 * when this object is closed, as QEMU's {@code -netdev tap,ifname=} does. A tap another process holds is refused
 * (the kernel's EBUSY). Thread-safety: one reader thread calls {@link #read}, one writer thread {@link #write}; any
 * thread may call {@link #wakeup} and {@link #close} (after which reads return -1).
 */
public final class Tap implements AutoCloseable {
    /** Longest interface name (IFNAMSIZ - 1). */
    public static final int MAX_NAME = 15;
    private static final long TUNSETIFF = 0x400454caL;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final long SIOCGIFINDEX = 0x8933;
    private static final long SIOCBRADDIF = 0x89a2;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_UP = 0x1;
    private static final int O_RDWR = 0x2;
    private static final int O_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int POLLIN = 0x1;
    private static final int EINTR = 4;
    private static final int EBUSY = 16;
    private static final int EPERM = 1;
    private static final int EAGAIN = 11;

    static {
        Native.register(Tap.class, "c");
    }

    private final String name;
    private final boolean created;
    private final int fd;
    private final int wakeFd;
    private final byte[] pollFds = new byte[16];
    /** The reader's last buffer and its address (reader thread only). */
    private ByteBuffer readBuf;
    private Pointer readBase;
    /** The writer's last buffer and its address (one writer at a time, see the class comment). */
    private ByteBuffer writeBuf;
    private Pointer writeBase;
    private volatile boolean closed;

    private Tap(String name, boolean created, int fd, int wakeFd) {
        this.name = name;
        this.created = created;
        this.fd = fd;
        this.wakeFd = wakeFd;
    }

    private static native int open(String path, int flags);

    private static native int close(int fd);

    private static native int ioctl(int fd, long request, byte[] arg);

    private static native long read(int fd, Pointer buf, long count);

    private static native long write(int fd, Pointer buf, long count);

    private static native int poll(byte[] fds, long nfds, int timeoutMs);

    private static native int eventfd(int initval, int flags);

    private static native int socket(int domain, int type, int protocol);

    /**
     * Opens tap {@code ifname}, creating it when no interface has that name; an empty name lets the kernel name a
     * new tap ({@code tap0}, {@code tap1}, ...).
     *
     * @throws PosixException with one sentence: the name is not a tap, another process holds it, or the kernel
     *                        refused (no {@code /dev/net/tun}, no CAP_NET_ADMIN)
     */
    public static Tap open(String ifname) {
        if (!ifname.isEmpty()) {
            checkName(ifname);
        }
        boolean exists = !ifname.isEmpty() && exists(ifname);
        if (exists && !Files.exists(Path.of("/sys/class/net", ifname, "tun_flags"))) {
            throw new PosixException("interface " + ifname + " exists and is not a tap; give the name of a tap (ip "
                    + "tuntap add " + ifname + " mode tap) or of no interface, for the engine to create one");
        }
        int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | Posix.O_CLOEXEC); // writes never wait anyway
        if (fd < 0) {
            int e = Posix.lastErrno();
            throw new PosixException("cannot open /dev/net/tun for tap " + ifname + ": " + Posix.strerror(e)
                    + "; load the tun module and run the engine as root or with CAP_NET_ADMIN");
        }
        byte[] ifr = ifreq(ifname);
        ifr[16] = (byte) (IFF_TAP | IFF_NO_PI);
        ifr[17] = (byte) ((IFF_TAP | IFF_NO_PI) >> 8);
        if (ioctl(fd, TUNSETIFF, ifr) < 0) {
            int e = Posix.lastErrno();
            close(fd);
            throw new PosixException(switch (e) {
                case EBUSY -> "tap " + ifname + " is held by another process (another engine's guest uses it); give "
                        + "this guest a tap of its own";
                case EPERM -> "tap " + ifname + (exists ? " belongs to another user" : " cannot be created")
                        + ": " + Posix.strerror(e) + "; run the engine as root or with CAP_NET_ADMIN";
                default -> "cannot " + (exists ? "attach to" : "create") + " tap " + ifname + ": "
                        + Posix.strerror(e) + " (is it a tun device rather than a tap?)";
            });
        }
        int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake < 0) {
            int e = Posix.lastErrno();
            close(fd);
            throw new PosixException("cannot create an eventfd for tap " + ifname + ": " + Posix.strerror(e));
        }
        int end = 0;
        while (end < 16 && ifr[end] != 0) {
            end++;
        }
        return new Tap(new String(ifr, 0, end, StandardCharsets.US_ASCII), !exists, fd, wake);
    }

    /** Whether a network interface named {@code ifname} exists in this network namespace. */
    public static boolean exists(String ifname) {
        return Files.exists(Path.of("/sys/class/net", ifname));
    }

    /** Whether {@code ifname} is a Linux bridge. */
    public static boolean isBridge(String ifname) {
        return Files.isDirectory(Path.of("/sys/class/net", ifname, "bridge"));
    }

    /** The interface's name. */
    public String name() {
        return name;
    }

    /** Whether this object created the tap (it vanishes at {@link #close}). */
    public boolean created() {
        return created;
    }

    /**
     * Reads one frame into {@code buf} (a direct buffer) from its position, waiting for one.
     *
     * @return the frame's length, or -1 when woken by {@link #wakeup} (a queued frame is read first) or closed
     * @throws PosixException when the kernel fails the read
     */
    public int read(ByteBuffer buf) {
        Pointer base = readPointer(buf);
        while (!closed) {
            // The descriptor is non-blocking: a frame already queued (a burst) costs one system call, and only an
            // empty queue costs the poll that waits for the next frame or the wake-up.
            long r = read(fd, base.share(buf.position()), buf.remaining());
            if (r >= 0) {
                return (int) r;
            }
            int e = Posix.lastErrno();
            if (closed) {
                return -1;
            }
            if (e == EINTR) {
                continue;
            }
            if (e != EAGAIN) {
                throw new PosixException("read from tap " + name + " failed: " + Posix.strerror(e));
            }
            putPollFd(0, fd);
            putPollFd(8, wakeFd);
            int n = poll(pollFds, 2, -1);
            if (n < 0) {
                if (Posix.lastErrno() == EINTR) {
                    continue;
                }
                throw new PosixException("poll on tap " + name + " failed: " + Posix.strerror(Posix.lastErrno()));
            }
            if ((pollFds[8 + 6] & POLLIN) != 0) {
                drainWake();
                return -1;
            }
        }
        return -1;
    }

    /** The native address of the reader's buffer, looked up once per buffer (the reader reuses one). */
    private Pointer readPointer(ByteBuffer buf) {
        if (buf != readBuf) {
            readBase = Native.getDirectBufferPointer(buf);
            readBuf = buf;
        }
        return readBase;
    }

    private void putPollFd(int at, int pfd) {
        ByteBuffer b = ByteBuffer.wrap(pollFds).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(at, pfd).putShort(at + 4, (short) POLLIN).putShort(at + 6, (short) 0);
    }

    private void drainWake() {
        read(wakeFd, new com.sun.jna.Memory(8), 8);
    }

    /** Makes a {@link #read} waiting now (or the next one to find no frame queued) return -1. */
    public void wakeup() {
        com.sun.jna.Memory one = new com.sun.jna.Memory(8);
        one.setLong(0, 1);
        write(wakeFd, one, 8);
    }

    /**
     * Writes one frame, {@code buf}'s position to limit (a direct buffer).
     *
     * @return false when the kernel refused it (the interface is down, or its queue is full)
     */
    public boolean write(ByteBuffer buf) {
        if (buf != writeBuf) {
            writeBase = Native.getDirectBufferPointer(buf); // the writer reuses one buffer: looked up once
            writeBuf = buf;
        }
        long r = write(fd, writeBase.share(buf.position()), buf.remaining());
        return r == buf.remaining();
    }

    /**
     * Sets an interface up ({@code ip link set IF up}).
     *
     * @throws PosixException naming the interface and the kernel's reason
     */
    public static void setUp(String ifname) {
        withSocket(ifname, s -> {
            byte[] ifr = ifreq(ifname);
            check(ioctl(s, SIOCGIFFLAGS, ifr), "read the flags of " + ifname);
            ifr[16] |= IFF_UP;
            check(ioctl(s, SIOCSIFFLAGS, ifr), "set " + ifname + " up");
        });
    }

    /**
     * Enslaves {@code ifname} to bridge {@code bridge} ({@code ip link set IF master BR}).
     *
     * @throws PosixException when the bridge does not exist or is not a bridge, or the kernel refuses
     */
    public static void enslave(String ifname, String bridge) {
        checkBridge(bridge);
        withSocket(ifname, s -> {
            byte[] idx = ifreq(ifname);
            check(ioctl(s, SIOCGIFINDEX, idx), "find the index of " + ifname);
            byte[] ifr = ifreq(bridge);
            System.arraycopy(idx, 16, ifr, 16, 4);
            check(ioctl(s, SIOCBRADDIF, ifr), "add " + ifname + " to bridge " + bridge);
        });
    }

    /**
     * Checks that {@code bridge} names an existing Linux bridge.
     *
     * @throws PosixException saying it does not exist or is not a bridge
     */
    public static void checkBridge(String bridge) {
        checkName(bridge);
        if (!exists(bridge)) {
            throw new PosixException("bridge " + bridge + " does not exist; create it (ip link add " + bridge
                    + " type bridge) or name an existing bridge");
        }
        if (!isBridge(bridge)) {
            throw new PosixException("interface " + bridge + " is not a bridge; name a Linux bridge (ip link add "
                    + "NAME type bridge)");
        }
    }

    private interface SocketOp {
        void run(int socket);
    }

    private static void withSocket(String ifname, SocketOp op) {
        int s = socket(2, 2 | Posix.O_CLOEXEC, 0); // AF_INET, SOCK_DGRAM | SOCK_CLOEXEC
        if (s < 0) {
            throw new PosixException("cannot open a socket to configure " + ifname + ": "
                    + Posix.strerror(Posix.lastErrno()));
        }
        try {
            op.run(s);
        } finally {
            close(s);
        }
    }

    private static void check(int result, String what) {
        if (result < 0) {
            throw new PosixException("cannot " + what + ": " + Posix.strerror(Posix.lastErrno()));
        }
    }

    private static void checkName(String ifname) {
        if (ifname.isEmpty() || ifname.length() > MAX_NAME || !ifname.matches("[A-Za-z0-9_.:%-]+")) {
            throw new PosixException("'" + ifname + "' is not an interface name; give 1 to " + MAX_NAME
                    + " letters, digits or _.:-");
        }
    }

    /** A {@code struct ifreq} (40 bytes) with {@code ifr_name} set. */
    private static byte[] ifreq(String ifname) {
        byte[] ifr = new byte[40];
        byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifr, 0, n.length);
        return ifr;
    }

    /** Closes the tap (a tap this object created vanishes) and wakes a waiting reader; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            wakeup();
            close(fd);
            // the wake descriptor stays open: a reader may still poll it once; the process exit closes it
        }
    }
}
