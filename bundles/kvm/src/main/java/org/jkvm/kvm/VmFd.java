package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM fd: memory slots, dirty logging, x86 setup addresses and vCPU creation.
 *
 * <p>Owns one file descriptor, closed by {@link #close()} after its vCPUs (close them first: KVM keeps the VM
 * alive while any vCPU fd is open). Methods are synchronized and reuse one native buffer, except the interrupt calls
 * ({@link #irqLine}, {@link #signalMsi}), which have their own so that devices never wait behind a dirty-log fetch.
 */
public final class VmFd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmFd.class);

    /** {@code struct kvm_clock_data}: u64 clock, u32 flags, u32 pad0, u64 realtime, u64 host_tsc, u32 pad[4]. */
    private static final int CLOCK_DATA_SIZE = 48;

    private final int fd;
    private final int vcpuMmapSize;
    private final IoctlBuffer scratch = new IoctlBuffer(4096);
    /** The buffer of {@link #irqLine} and {@link #signalMsi}, guarded by itself (not by {@code this}). */
    private final IoctlBuffer irqScratch = new IoctlBuffer(32);
    /** Pages per registered slot, indexed by slot number (0 = not registered), to size dirty bitmaps safely. */
    private long[] slotPages = new long[32];
    private volatile boolean closed;

    VmFd(int fd, int vcpuMmapSize) {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    /** The raw file descriptor (owned by this object). */
    public int fd() {
        return fd;
    }

    /** {@code KVM_CHECK_EXTENSION} on the VM fd (some answers differ per VM, e.g. {@code KVM_CAP_XSAVE2}). */
    public int checkExtension(int capability) {
        return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CHECK_EXTENSION, capability), "KVM_CHECK_EXTENSION");
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: maps {@code [hva, hva + sizeBytes)} at guest-physical {@code gpa}.
     * A size of 0 deletes the slot.
     *
     * @param slot      slot number (0..KVM_CAP_NR_MEMSLOTS-1)
     * @param flags     {@link KvmCaps#KVM_MEM_LOG_DIRTY_PAGES} and/or {@link KvmCaps#KVM_MEM_READONLY}
     * @param gpa       guest-physical start, page aligned
     * @param sizeBytes length, a multiple of 4096
     * @param hva       host virtual address of the backing mapping, page aligned
     */
    public synchronized void setUserMemoryRegion(int slot, int flags, long gpa, long sizeBytes, long hva) {
        if (slot < 0 || slot > 0x7fff) {
            throw new IllegalArgumentException("memory slot " + slot + " is out of range 0..32767");
        }
        ByteBuffer b = scratch.zeroed(32);
        b.putInt(0, slot).putInt(4, flags).putLong(8, gpa).putLong(16, sizeBytes).putLong(24, hva);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_USER_MEMORY_REGION, scratch.address()),
                "KVM_SET_USER_MEMORY_REGION");
        if (slot >= slotPages.length) {
            slotPages = Arrays.copyOf(slotPages, Math.max(slot + 1, slotPages.length * 2));
        }
        slotPages[slot] = sizeBytes / 4096;
        LOG.debug("slot {}: gpa 0x{} size 0x{} hva 0x{} flags {}", slot, Long.toHexString(gpa),
                Long.toHexString(sizeBytes), Long.toHexString(hva), flags);
    }

    /** Number of 64-bit words a dirty bitmap of {@code slot} needs ({@code ceil(pages / 64)}). */
    public synchronized int dirtyLogWords(int slot) {
        return (int) ((registeredPages(slot, "KVM_GET_DIRTY_LOG") + 63) / 64);
    }

    /**
     * {@code KVM_GET_DIRTY_LOG}: copies the slot's dirty bitmap into {@code bitmap} (bit {@code p % 64} of word
     * {@code p / 64} = page {@code p} of the slot). Without manual protection the kernel also clears its log and
     * write-protects the pages again; with it, call {@link #clearDirtyLog}.
     *
     * @param slot   a slot registered with {@link KvmCaps#KVM_MEM_LOG_DIRTY_PAGES}
     * @param bitmap at least {@link #dirtyLogWords(int)} words; overwritten
     */
    public synchronized void getDirtyLog(int slot, long[] bitmap) {
        int words = checkBitmap(slot, bitmap, "KVM_GET_DIRTY_LOG");
        scratch.ensure(16 + words * 8);
        ByteBuffer b = scratch.zeroed(16);
        b.putInt(0, slot).putInt(4, 0).putLong(8, scratch.address() + 16);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_DIRTY_LOG, scratch.address()), "KVM_GET_DIRTY_LOG");
        scratch.pointer().read(16, bitmap, 0, words);
    }

    /**
     * {@code KVM_ENABLE_CAP} on the VM, e.g. {@code enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
     * KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)} before registering logged slots.
     *
     * @param capability a {@code KVM_CAP_*} number
     * @param args       up to 4 arguments ({@code args[]} of {@code struct kvm_enable_cap})
     */
    public synchronized void enableCap(int capability, long... args) {
        if (args.length > 4) {
            throw new IllegalArgumentException("kvm_enable_cap takes at most 4 arguments, got " + args.length);
        }
        ByteBuffer b = scratch.zeroed(104);
        b.putInt(0, capability).putInt(4, 0);
        for (int i = 0; i < args.length; i++) {
            b.putLong(8 + 8 * i, args[i]);
        }
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_ENABLE_CAP, scratch.address()), "KVM_ENABLE_CAP");
    }

    /**
     * {@code KVM_CLEAR_DIRTY_LOG}: re-arms dirty tracking for the pages set in {@code bitmap} (needs
     * {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2} enabled). Bit 0 of {@code bitmap[0]} is page {@code firstPage}.
     *
     * @param slot      the slot
     * @param firstPage first page, a multiple of 64
     * @param numPages  pages covered, a multiple of 64 unless the range reaches the end of the slot
     * @param bitmap    at least {@code ceil(numPages / 64)} words
     */
    public synchronized void clearDirtyLog(int slot, long firstPage, int numPages, long[] bitmap) {
        long pages = registeredPages(slot, "KVM_CLEAR_DIRTY_LOG");
        int words = (numPages + 63) / 64;
        if (firstPage < 0 || (firstPage & 63) != 0 || numPages < 0 || firstPage + numPages > pages
                || bitmap.length < words) {
            throw new IllegalArgumentException("cannot clear pages " + firstPage + "+" + numPages + " of slot "
                    + slot + " (" + pages + " pages) with a " + bitmap.length + "-word bitmap; the first page "
                    + "must be a multiple of 64 and the range inside the slot");
        }
        scratch.ensure(24 + words * 8);
        ByteBuffer b = scratch.zeroed(24);
        b.putInt(0, slot).putInt(4, numPages).putLong(8, firstPage).putLong(16, scratch.address() + 24);
        scratch.pointer().write(24, bitmap, 0, words);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CLEAR_DIRTY_LOG, scratch.address()), "KVM_CLEAR_DIRTY_LOG");
    }

    /** {@code KVM_SET_TSS_ADDR}: gpa of a 3-page region the VM must not use (Intel; needed before running). */
    public void setTssAddr(long gpa) {
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_TSS_ADDR, gpa), "KVM_SET_TSS_ADDR");
    }

    /** {@code KVM_SET_IDENTITY_MAP_ADDR}: gpa of a 1-page region for the real-mode identity map (Intel). */
    public synchronized void setIdentityMapAddr(long gpa) {
        scratch.zeroed(8).putLong(0, gpa);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_IDENTITY_MAP_ADDR, scratch.address()),
                "KVM_SET_IDENTITY_MAP_ADDR");
    }

    /** {@code KVM_CREATE_IRQCHIP}: in-kernel PIC, IOAPIC and LAPICs; before the first vCPU. */
    public void createIrqchip() {
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
    }

    /**
     * {@code KVM_CREATE_PIT2}: the in-kernel 8254 on ports 0x40-0x43 (after {@link #createIrqchip}).
     *
     * @param flags {@link KvmCaps#KVM_PIT_SPEAKER_DUMMY} to have port 0x61 emulated in the kernel too
     */
    public synchronized void createPit2(int flags) {
        scratch.zeroed(64).putInt(0, flags);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CREATE_PIT2, scratch.address()), "KVM_CREATE_PIT2");
    }

    /**
     * {@code KVM_IRQ_LINE}: drives GSI {@code irq} of the in-kernel irqchip. Any thread; it has a buffer and lock
     * of its own, so devices never wait behind a dirty-log fetch.
     */
    public void irqLine(int irq, boolean level) {
        synchronized (irqScratch) {
            irqScratch.zeroed(8).putInt(0, irq).putInt(4, level ? 1 : 0);
            LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_IRQ_LINE, irqScratch.address()), "KVM_IRQ_LINE");
        }
    }

    /**
     * {@code KVM_SIGNAL_MSI}: delivers a message-signalled interrupt. Any thread (shares the lock of
     * {@link #irqLine}).
     *
     * @param address the MSI address (0xfeexxxxx)
     * @param data    the MSI data
     * @return 1 when delivered, 0 when the guest blocked it (e.g. masked)
     */
    public int signalMsi(long address, int data) {
        synchronized (irqScratch) {
            irqScratch.zeroed(32).putInt(0, (int) address).putInt(4, (int) (address >>> 32)).putInt(8, data);
            return LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SIGNAL_MSI, irqScratch.address()), "KVM_SIGNAL_MSI");
        }
    }

    /** {@code KVM_SET_GSI_ROUTING}: replaces the whole GSI routing table with {@code routes}. */
    public synchronized void setGsiRouting(List<IrqRoute> routes) {
        ByteBuffer b = scratch.zeroed(8 + routes.size() * IrqRoute.SIZE);
        b.putInt(0, routes.size()).putInt(4, 0);
        for (int i = 0; i < routes.size(); i++) {
            routes.get(i).write(b, 8 + i * IrqRoute.SIZE);
        }
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_GSI_ROUTING, scratch.address()), "KVM_SET_GSI_ROUTING");
    }

    /** {@code KVM_GET_IRQCHIP} of chip {@link IrqRoute#PIC_MASTER} or {@link IrqRoute#PIC_SLAVE}. */
    public synchronized KvmPicState getPic(int chip) {
        checkPic(chip);
        return KvmPicState.read(getIrqchip(chip), 8);
    }

    /** {@code KVM_SET_IRQCHIP} of chip {@link IrqRoute#PIC_MASTER} or {@link IrqRoute#PIC_SLAVE}. */
    public synchronized void setPic(int chip, KvmPicState state) {
        checkPic(chip);
        ByteBuffer b = scratch.zeroed(KvmIoctls.IRQCHIP_SIZE);
        b.putInt(0, chip);
        state.write(b, 8);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_IRQCHIP, scratch.address()), "KVM_SET_IRQCHIP");
    }

    /** {@code KVM_GET_IRQCHIP} of the I/O APIC. */
    public synchronized KvmIoapicState getIoapic() {
        return KvmIoapicState.read(getIrqchip(IrqRoute.IOAPIC), 8);
    }

    /** {@code KVM_SET_IRQCHIP} of the I/O APIC. */
    public synchronized void setIoapic(KvmIoapicState state) {
        ByteBuffer b = scratch.zeroed(KvmIoctls.IRQCHIP_SIZE);
        b.putInt(0, IrqRoute.IOAPIC);
        state.write(b, 8);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_IRQCHIP, scratch.address()), "KVM_SET_IRQCHIP");
    }

    /** {@code KVM_GET_PIT2}. */
    public synchronized KvmPitState2 getPit2() {
        ByteBuffer b = scratch.zeroed(KvmPitState2.SIZE);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_PIT2, scratch.address()), "KVM_GET_PIT2");
        return KvmPitState2.read(b, 0);
    }

    /** {@code KVM_SET_PIT2}. */
    public synchronized void setPit2(KvmPitState2 state) {
        state.write(scratch.zeroed(KvmPitState2.SIZE), 0);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_PIT2, scratch.address()), "KVM_SET_PIT2");
    }

    /**
     * {@code KVM_GET_CLOCK}: the VM's kvmclock in nanoseconds ({@code struct kvm_clock_data.clock}, the value the
     * guests' {@code pvclock_vcpu_time_info} structures give now). {@code KVM_CAP_ADJUST_CLOCK}.
     */
    public synchronized long getClock() {
        ByteBuffer b = scratch.zeroed(CLOCK_DATA_SIZE);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_CLOCK, scratch.address()), "KVM_GET_CLOCK");
        return b.getLong(0);
    }

    /**
     * {@code KVM_SET_CLOCK} with no flags: the kvmclock reads {@code nanos} now and counts on from there; every vCPU
     * rewrites its guest structure before it next enters the guest. {@code KVM_CAP_ADJUST_CLOCK}.
     */
    public synchronized void setClock(long nanos) {
        ByteBuffer b = scratch.zeroed(CLOCK_DATA_SIZE);
        b.putLong(0, nanos);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_SET_CLOCK, scratch.address()), "KVM_SET_CLOCK");
    }

    private ByteBuffer getIrqchip(int chip) {
        ByteBuffer b = scratch.zeroed(KvmIoctls.IRQCHIP_SIZE);
        b.putInt(0, chip);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_GET_IRQCHIP, scratch.address()), "KVM_GET_IRQCHIP");
        return b;
    }

    private static void checkPic(int chip) {
        if (chip != IrqRoute.PIC_MASTER && chip != IrqRoute.PIC_SLAVE) {
            throw new IllegalArgumentException("PIC chip id " + chip + " is not 0 (master) or 1 (slave)");
        }
    }

    /**
     * {@code KVM_IRQFD}: a write to {@code eventFd} raises GSI {@code gsi} (needs an in-kernel irqchip).
     *
     * @param eventFd an eventfd (see {@link EventFd})
     * @param gsi     the global system interrupt
     * @param deassign true to remove an earlier assignment
     */
    public synchronized void irqfd(int eventFd, int gsi, boolean deassign) {
        ByteBuffer b = scratch.zeroed(32);
        b.putInt(0, eventFd).putInt(4, gsi).putInt(8, deassign ? 1 : 0);
        LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_IRQFD, scratch.address()), "KVM_IRQFD");
    }

    /**
     * {@code KVM_CREATE_VCPU} and mmap of its {@code kvm_run} page. The caller owns and closes the vCPU.
     *
     * @param id the vCPU (APIC) id, from 0
     */
    public VcpuFd createVcpu(int id) {
        int xsaveSize = Math.max(Xsave.SIZE, checkExtension(KvmCaps.KVM_CAP_XSAVE2));
        int vcpuFd = LibC.check(LibC.ioctl(live(), KvmIoctls.KVM_CREATE_VCPU, id), "KVM_CREATE_VCPU");
        try {
            return new VcpuFd(vcpuFd, id, vcpuMmapSize, xsaveSize);
        } catch (RuntimeException e) {
            LibC.close(vcpuFd);
            throw e;
        }
    }

    private long registeredPages(int slot, String call) {
        if (slot < 0 || slot >= slotPages.length || slotPages[slot] == 0) {
            throw new KvmException(call, LibC.EINVAL, call + " failed: memory slot " + slot
                    + " is not registered; call setUserMemoryRegion first");
        }
        return slotPages[slot];
    }

    private int checkBitmap(int slot, long[] bitmap, String call) {
        int words = (int) ((registeredPages(slot, call) + 63) / 64);
        if (bitmap.length < words) {
            throw new IllegalArgumentException("the dirty bitmap of slot " + slot + " needs " + words
                    + " words, got " + bitmap.length);
        }
        return words;
    }

    /** The fd, or an error when closed: a closed descriptor number may already belong to another file. */
    private int live() {
        if (closed) {
            throw new KvmException("ioctl", 9, "the VM is closed; create a new one");
        }
        return fd;
    }

    /** Closes the VM fd; idempotent. Close the vCPUs first. */
    @Override
    public synchronized void close() {
        synchronized (irqScratch) { // an interrupt being raised must not use the fd number after it is released
            if (!closed) {
                closed = true;
                LibC.close(fd);
                scratch.close();
                irqScratch.close();
            }
        }
    }
}
