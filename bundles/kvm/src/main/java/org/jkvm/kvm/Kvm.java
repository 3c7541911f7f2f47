package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KVM system fd ({@code /dev/kvm}): checks the API, reports capabilities and host CPUID/MSRs, creates VMs.
 *
 * <p>Owns one file descriptor, closed by {@link #close()}. VMs created from it stay valid after it is closed.
 * Thread-safe for the query methods; {@link #close()} must not race with other calls.
 */
public final class Kvm implements AutoCloseable {
    /** The default device path. */
    public static final Path DEFAULT_DEVICE = Path.of("/dev/kvm");
    /** The only KVM API version there has ever been in mainline Linux. */
    public static final int API_VERSION = 12;

    private static final Logger LOG = LoggerFactory.getLogger(Kvm.class);
    private static final int E2BIG = 7;
    private static final int MAX_ENTRIES = 1 << 16;

    private final Path device;
    private final int fd;
    private final IoctlBuffer scratch = new IoctlBuffer(4096);
    private volatile boolean closed;

    private Kvm(Path device, int fd) {
        this.device = device;
        this.fd = fd;
    }

    /** Opens {@link #DEFAULT_DEVICE}. */
    public static Kvm open() {
        return open(DEFAULT_DEVICE);
    }

    /**
     * Opens a KVM device and checks its API version.
     *
     * @param device the device path ({@code /dev/kvm}; tests pass others to simulate a missing device)
     * @throws KvmUnavailableException with one sentence saying why KVM cannot be used and what to do
     */
    public static Kvm open(Path device) {
        if (!Files.exists(device)) {
            throw new KvmUnavailableException("open", LibC.ENOENT,
                    device + " does not exist; enable virtualization or load the kvm module");
        }
        int fd = LibC.open(device.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = LibC.lastErrno();
            throw new KvmUnavailableException("open", errno, openFailure(device, errno));
        }
        int version = LibC.ioctl(fd, KvmIoctls.KVM_GET_API_VERSION, 0);
        if (version != API_VERSION) {
            int errno = version < 0 ? LibC.lastErrno() : 0;
            LibC.close(fd);
            throw new KvmUnavailableException("KVM_GET_API_VERSION", errno, version < 0
                    ? device + " is not a KVM device (" + KvmException.describe(errno) + "); point to /dev/kvm"
                    : device + " speaks API version " + version + ", need " + API_VERSION
                    + "; use a Linux kernel with the standard KVM API");
        }
        LOG.debug("opened {} (fd {}, API version {})", device, fd, version);
        return new Kvm(device, fd);
    }

    static String openFailure(Path device, int errno) {
        return switch (errno) {
            case LibC.EACCES, 1 -> "cannot open " + device + ": permission denied; run as root or add the user "
                    + "to group kvm";
            case LibC.ENODEV, 6 -> "cannot open " + device + ": no such device; load the kvm_intel or kvm_amd "
                    + "module";
            default -> "cannot open " + device + ": " + KvmException.describe(errno)
                    + "; check that it is the KVM device";
        };
    }

    /** The device this was opened from. */
    public Path device() {
        return device;
    }

    /** The raw file descriptor (owned by this object). */
    public int fd() {
        return fd;
    }

    /** {@code KVM_GET_API_VERSION}: always {@value #API_VERSION} once opened. */
    public int apiVersion() {
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_API_VERSION, 0), "KVM_GET_API_VERSION");
    }

    /**
     * {@code KVM_CHECK_EXTENSION}: 0 when the capability is absent, else a positive value (often 1, sometimes a
     * count or size).
     *
     * @param capability a {@code KVM_CAP_*} number from {@link KvmCaps}
     */
    public int checkExtension(int capability) {
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CHECK_EXTENSION, capability), "KVM_CHECK_EXTENSION");
    }

    /** {@code KVM_GET_VCPU_MMAP_SIZE}: bytes to mmap from each vCPU fd (kvm_run plus the PIO page). */
    public int vcpuMmapSize() {
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** {@code KVM_GET_SUPPORTED_CPUID}: the CPUID leaves KVM can expose on this host, for {@code KVM_SET_CPUID2}. */
    public synchronized List<CpuidEntry> supportedCpuid() {
        return readCpuid(KvmIoctls.KVM_GET_SUPPORTED_CPUID, "KVM_GET_SUPPORTED_CPUID");
    }

    private List<CpuidEntry> readCpuid(long request, String name) {
        for (int nent = 128; ; nent *= 2) {
            ByteBuffer b = scratch.zeroed(8 + nent * CpuidEntry.SIZE);
            b.putInt(0, nent);
            int r = LibC.ioctl(live(), request, scratch.address());
            if (r < 0) {
                int errno = LibC.lastErrno();
                if (errno == E2BIG && nent < MAX_ENTRIES) {
                    continue; // the kernel needs a larger array; try again with twice the room
                }
                throw new KvmException(name, errno);
            }
            int n = b.getInt(0);
            List<CpuidEntry> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(CpuidEntry.read(b, 8 + i * CpuidEntry.SIZE));
            }
            return out;
        }
    }

    /** {@code KVM_GET_MSR_INDEX_LIST}: the MSRs KVM saves and restores for a vCPU (the migration set). */
    public synchronized int[] msrIndexList() {
        return readMsrList(KvmIoctls.KVM_GET_MSR_INDEX_LIST, "KVM_GET_MSR_INDEX_LIST");
    }

    private int[] readMsrList(long request, String name) {
        for (int n = 256; ; n *= 2) {
            ByteBuffer b = scratch.zeroed(4 + 4 * n);
            b.putInt(0, n);
            int r = LibC.ioctl(live(), request, scratch.address());
            if (r < 0) {
                int errno = LibC.lastErrno();
                if (errno == E2BIG && n < MAX_ENTRIES) {
                    continue;
                }
                throw new KvmException(name, errno);
            }
            int[] out = new int[b.getInt(0)];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getInt(4 + 4 * i);
            }
            return out;
        }
    }

    /** {@code KVM_CREATE_VM} (machine type 0): a new, empty VM. The caller owns and closes it. */
    public VmFd createVm() {
        int mmapSize = vcpuMmapSize();
        int vmFd = LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CREATE_VM, 0), "KVM_CREATE_VM");
        return new VmFd(vmFd, mmapSize);
    }

    /** The fd, or an error when closed: a closed descriptor number may already belong to another file. */
    private int live() {
        if (closed) {
            throw new KvmException("ioctl", 9, "the KVM system fd is closed; create a new one");
        }
        return fd;
    }

    /** Closes the system fd; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
            scratch.close();
        }
    }
}
