package org.jkvm.kvm;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A vCPU fd: {@code KVM_RUN} and the register state ioctls.
 *
 * <p>Owns the fd and its {@code kvm_run} mmap, both released by {@link #close()}. Owned by one thread (the
 * vCPU thread): the state calls share one native buffer and are not thread-safe. The only call meant for other
 * threads is {@code kvmRun().immediateExit(true)} (followed by a signal to the vCPU thread).
 */
public final class VcpuFd implements AutoCloseable {
    /** {@link #run()} result when KVM_RUN returned EINTR (a signal or {@code immediate_exit}). */
    public static final int RUN_INTERRUPTED = -LibC.EINTR;
    /** {@link #run()} result when KVM_RUN returned EAGAIN. */
    public static final int RUN_AGAIN = -LibC.EAGAIN;

    private final int fd;
    private final int id;
    private final long runAddress;
    private final int runSize;
    private final int xsaveSize;
    private final KvmRun kvmRun;
    private final IoctlBuffer scratch = new IoctlBuffer(8192);
    private volatile int threadId;
    private volatile boolean closed;

    VcpuFd(int fd, int id, int mmapSize, int xsaveSize) {
        this.fd = fd;
        this.id = id;
        this.runSize = mmapSize;
        this.xsaveSize = xsaveSize;
        this.runAddress = LibC.check(LibC.mmap(0L, mmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED,
                fd, 0L), "mmap(kvm_run)");
        this.kvmRun = new KvmRun(new Pointer(runAddress).getByteBuffer(0, mmapSize));
    }

    /** The raw file descriptor (owned by this object). */
    public int fd() {
        return fd;
    }

    /** The vCPU id given at creation. */
    public int id() {
        return id;
    }

    /** The flyweight over this vCPU's shared {@code kvm_run} page; one instance, valid until {@link #close()}. */
    public KvmRun kvmRun() {
        return kvmRun;
    }

    /**
     * {@code KVM_RUN}: runs the guest until the next exit. Allocates nothing.
     *
     * @return the exit reason ({@code KvmRun.EXIT_*}, at least 0), or {@link #RUN_INTERRUPTED} /
     *         {@link #RUN_AGAIN} when the kernel returned EINTR / EAGAIN
     * @throws KvmException for any other error (e.g. EFAULT for a bad memory slot)
     */
    public int run() {
        if (LibC.ioctl(live(), KvmIoctls.KVM_RUN, 0) < 0) {
            int errno = LibC.lastErrno();
            if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                return -errno;
            }
            throw new KvmException("KVM_RUN", errno);
        }
        return kvmRun.exitReason();
    }

    /**
     * Records the calling thread as this vCPU's runner, so {@link #kick()} can interrupt its {@code KVM_RUN}.
     * Call once on the vCPU thread before its run loop.
     */
    public void bindToCurrentThread() {
        VcpuKick.install();
        threadId = VcpuKick.currentThreadId();
    }

    /**
     * Makes the vCPU thread's current or next {@link #run()} return {@link #RUN_INTERRUPTED} (or an exit that was
     * already under way): sets {@code immediate_exit}, then signals the bound thread. Safe from any thread. The
     * vCPU thread clears {@code immediate_exit} ({@code kvmRun().immediateExit(false)}) once it has handled the
     * request. Does nothing once the vCPU is closed.
     */
    public synchronized void kick() {
        // Synchronized with close(): otherwise close could unmap kvm_run between the check and the store.
        if (closed) {
            return; // the kvm_run page is gone, and so is the thread's reason to run
        }
        kvmRun.immediateExit(true);
        int tid = threadId;
        if (tid != 0) {
            VcpuKick.signal(tid);
        }
    }

    /** The size of this vCPU's XSAVE area in bytes: 4096, or more with {@code KVM_CAP_XSAVE2}. */
    public int xsaveSize() {
        return xsaveSize;
    }

    /**
     * {@code KVM_INTERRUPT}: queues external interrupt {@code vector} for injection at the next {@code KVM_RUN}.
     * Call on the vCPU thread, only when the last exit reported {@code kvmRun().readyForInterruptInjection()}
     * (else request an interrupt window first); a VM with an in-kernel irqchip refuses it.
     *
     * @param vector 0-255
     */
    public void interrupt(int vector) {
        if (vector < 0 || vector > 255) {
            throw new IllegalArgumentException("interrupt vector " + vector + " is not 0-255");
        }
        scratch.zeroed(4).putInt(0, vector);
        set(KvmIoctls.KVM_INTERRUPT, "KVM_INTERRUPT");
    }

    /** {@code KVM_GET_REGS}. */
    public Regs getRegs() {
        return Regs.read(get(KvmIoctls.KVM_GET_REGS, Regs.SIZE, "KVM_GET_REGS"), 0);
    }

    /** {@code KVM_SET_REGS}. */
    public void setRegs(Regs regs) {
        regs.write(scratch.zeroed(Regs.SIZE), 0);
        set(KvmIoctls.KVM_SET_REGS, "KVM_SET_REGS");
    }

    /** {@code KVM_GET_SREGS}. */
    public Sregs getSregs() {
        return Sregs.read(get(KvmIoctls.KVM_GET_SREGS, Sregs.SIZE, "KVM_GET_SREGS"), 0);
    }

    /** {@code KVM_SET_SREGS}. */
    public void setSregs(Sregs sregs) {
        sregs.write(scratch.zeroed(Sregs.SIZE), 0);
        set(KvmIoctls.KVM_SET_SREGS, "KVM_SET_SREGS");
    }

    /** {@code KVM_GET_FPU}. */
    public Fpu getFpu() {
        return new Fpu(bytes(get(KvmIoctls.KVM_GET_FPU, Fpu.SIZE, "KVM_GET_FPU"), Fpu.SIZE));
    }

    /** {@code KVM_SET_FPU}. */
    public void setFpu(Fpu fpu) {
        scratch.zeroed(Fpu.SIZE).put(0, fpu.bytes());
        set(KvmIoctls.KVM_SET_FPU, "KVM_SET_FPU");
    }

    /** {@code KVM_GET_XSAVE2} when the VM reports a size above 4096 ({@code KVM_CAP_XSAVE2}), else KVM_GET_XSAVE. */
    public Xsave getXsave() {
        if (xsaveSize > Xsave.SIZE) {
            return new Xsave(bytes(get(KvmIoctls.KVM_GET_XSAVE2, xsaveSize, "KVM_GET_XSAVE2"), xsaveSize));
        }
        return new Xsave(bytes(get(KvmIoctls.KVM_GET_XSAVE, Xsave.SIZE, "KVM_GET_XSAVE"), Xsave.SIZE));
    }

    /** {@code KVM_SET_XSAVE} (the kernel reads as many bytes as the vCPU's XSAVE area has). */
    public void setXsave(Xsave xsave) {
        scratch.zeroed(Math.max(xsave.size(), xsaveSize)).put(0, xsave.bytes());
        set(KvmIoctls.KVM_SET_XSAVE, "KVM_SET_XSAVE");
    }

    /** {@code KVM_GET_XCRS}. */
    public Xcrs getXcrs() {
        return Xcrs.read(get(KvmIoctls.KVM_GET_XCRS, Xcrs.SIZE, "KVM_GET_XCRS"), 0);
    }

    /** {@code KVM_SET_XCRS}. */
    public void setXcrs(Xcrs xcrs) {
        xcrs.write(scratch.zeroed(Xcrs.SIZE), 0);
        set(KvmIoctls.KVM_SET_XCRS, "KVM_SET_XCRS");
    }

    /**
     * {@code KVM_GET_MSRS}: reads the given MSRs. The kernel stops at the first MSR it cannot read, so the result
     * may be a shorter prefix of {@code indices}; compare sizes when every MSR matters.
     *
     * @param indices MSR numbers, e.g. {@link MsrEntry#IA32_TSC} or those of {@link Kvm#msrIndexList()}
     */
    public List<MsrEntry> getMsrs(int... indices) {
        ByteBuffer b = scratch.zeroed(8 + indices.length * MsrEntry.SIZE);
        b.putInt(0, indices.length);
        for (int i = 0; i < indices.length; i++) {
            b.putInt(8 + i * MsrEntry.SIZE, indices[i]);
        }
        int n = LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_MSRS, scratch.address()), "KVM_GET_MSRS");
        List<MsrEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(MsrEntry.read(b, 8 + i * MsrEntry.SIZE));
        }
        return out;
    }

    /**
     * {@code KVM_SET_MSRS}: writes every entry.
     *
     * @throws KvmException naming the first MSR the kernel refused
     */
    public void setMsrs(List<MsrEntry> entries) {
        int n = trySetMsrs(entries);
        if (n < entries.size()) {
            throw new KvmException("KVM_SET_MSRS", 0, "KVM_SET_MSRS set only " + n + " of " + entries.size()
                    + " MSRs: the host refused MSR 0x" + Integer.toHexString(entries.get(n).index())
                    + "; leave it out or use a host with the same CPU features");
        }
    }

    /**
     * Writes entries in order and returns how many the kernel accepted (it stops at the first it refuses).
     * {@link #setMsrs} is the strict form.
     */
    public int trySetMsrs(List<MsrEntry> entries) {
        ByteBuffer b = scratch.zeroed(8 + entries.size() * MsrEntry.SIZE);
        b.putInt(0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            entries.get(i).write(b, 8 + i * MsrEntry.SIZE);
        }
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_MSRS, scratch.address()), "KVM_SET_MSRS");
    }

    /**
     * The MSRs of {@code candidates} (e.g. {@link Kvm#msrIndexList()}) that this vCPU can both read and write
     * back with its current value: the set to save and restore for migration on this host. Probes one MSR at a
     * time, writing each back unchanged; call it after {@link #setCpuid2} and before the guest runs.
     */
    public int[] migratableMsrs(int... candidates) {
        int[] out = new int[candidates.length];
        int n = 0;
        for (int index : candidates) {
            List<MsrEntry> one = getMsrs(index);
            if (one.size() == 1 && trySetMsrs(one) == 1) {
                out[n++] = index;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** {@code KVM_SET_CPUID2}: the CPUID leaves the guest sees (start from {@link Kvm#supportedCpuid()}). */
    public void setCpuid2(List<CpuidEntry> entries) {
        ByteBuffer b = scratch.zeroed(8 + entries.size() * CpuidEntry.SIZE);
        b.putInt(0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            entries.get(i).write(b, 8 + i * CpuidEntry.SIZE);
        }
        set(KvmIoctls.KVM_SET_CPUID2, "KVM_SET_CPUID2");
    }

    /** {@code KVM_GET_VCPU_EVENTS}. */
    public VcpuEvents getVcpuEvents() {
        return new VcpuEvents(bytes(get(KvmIoctls.KVM_GET_VCPU_EVENTS, VcpuEvents.SIZE, "KVM_GET_VCPU_EVENTS"),
                VcpuEvents.SIZE));
    }

    /** {@code KVM_SET_VCPU_EVENTS} (the {@code flags} in the bytes say which parts are valid). */
    public void setVcpuEvents(VcpuEvents events) {
        scratch.zeroed(VcpuEvents.SIZE).put(0, events.bytes());
        set(KvmIoctls.KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS");
    }

    /** {@code KVM_GET_MP_STATE}. */
    public MpState getMpState() {
        return new MpState(get(KvmIoctls.KVM_GET_MP_STATE, MpState.SIZE, "KVM_GET_MP_STATE").getInt(0));
    }

    /** {@code KVM_SET_MP_STATE}. */
    public void setMpState(MpState state) {
        scratch.zeroed(MpState.SIZE).putInt(0, state.state());
        set(KvmIoctls.KVM_SET_MP_STATE, "KVM_SET_MP_STATE");
    }

    /** {@code KVM_GET_LAPIC} (needs the in-kernel irqchip). */
    public KvmLapicState getLapic() {
        return new KvmLapicState(bytes(get(KvmIoctls.KVM_GET_LAPIC, KvmLapicState.SIZE, "KVM_GET_LAPIC"),
                KvmLapicState.SIZE));
    }

    /** {@code KVM_SET_LAPIC} (needs the in-kernel irqchip); the timer resumes from the page's current count. */
    public void setLapic(KvmLapicState state) {
        scratch.zeroed(KvmLapicState.SIZE).put(0, state.regs());
        set(KvmIoctls.KVM_SET_LAPIC, "KVM_SET_LAPIC");
    }

    /** {@code KVM_GET_DEBUGREGS}. */
    public DebugRegs getDebugRegs() {
        return DebugRegs.read(get(KvmIoctls.KVM_GET_DEBUGREGS, DebugRegs.SIZE, "KVM_GET_DEBUGREGS"), 0);
    }

    /** {@code KVM_SET_DEBUGREGS}. */
    public void setDebugRegs(DebugRegs regs) {
        regs.write(scratch.zeroed(DebugRegs.SIZE), 0);
        set(KvmIoctls.KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS");
    }

    /** {@code KVM_GET_TSC_KHZ}: the guest TSC frequency in kHz ({@code KVM_CAP_GET_TSC_KHZ}). */
    public int getTscKhz() {
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_TSC_KHZ, 0), "KVM_GET_TSC_KHZ");
    }

    /** {@code KVM_SET_TSC_KHZ}: scales the guest TSC to {@code khz} ({@code KVM_CAP_TSC_CONTROL}). */
    public void setTscKhz(int khz) {
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_TSC_KHZ, khz), "KVM_SET_TSC_KHZ");
    }

    /**
     * {@code KVM_KVMCLOCK_CTRL} ({@code KVM_CAP_KVMCLOCK_CTRL}): the guest was paused; KVM sets
     * PVCLOCK_GUEST_STOPPED in the vCPU's {@code pvclock_vcpu_time_info} at its next entry.
     *
     * @return false when the guest has not enabled its kvmclock on this vCPU (EINVAL), true when done
     */
    public boolean kvmclockCtrl() {
        if (LibC.ioctl(live(), KvmIoctls.KVM_KVMCLOCK_CTRL, 0) < 0) {
            int errno = LibC.lastErrno();
            if (errno == LibC.EINVAL) {
                return false;
            }
            throw new KvmException("KVM_KVMCLOCK_CTRL", errno);
        }
        return true;
    }

    private ByteBuffer get(long request, int size, String name) {
        ByteBuffer b = scratch.zeroed(size);
        LibC.check(LibC.ioctl(live(), request, scratch.address()), name);
        return b;
    }

    private void set(long request, String name) {
        LibC.check(LibC.ioctl(live(), request, scratch.address()), name);
    }

    private static byte[] bytes(ByteBuffer b, int size) {
        byte[] out = new byte[size];
        b.get(0, out);
        return out;
    }

    /** The fd, or an error when closed: a closed descriptor number may already belong to another file. */
    private int live() {
        if (closed) {
            throw new KvmException("ioctl", 9, "the vCPU " + id + " is closed; create a new one");
        }
        return fd;
    }

    /** Unmaps {@code kvm_run} and closes the fd; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.munmap(runAddress, runSize);
            LibC.close(fd);
            scratch.close();
        }
    }
}
