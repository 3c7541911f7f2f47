package org.jkvm.kvm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A flyweight over the {@code struct kvm_run} page that a vCPU fd shares with the kernel (mmap of the vCPU fd).
 * Accessors read and write the shared memory directly; nothing is copied or allocated.
 *
 * <pre>
 * offset  0 u8  request_interrupt_window      1 u8 immediate_exit       2 u8 padding1[6]
 *         8 u32 exit_reason                  12 u8 ready_for_interrupt_injection  13 u8 if_flag  14 u16 flags
 *        16 u64 cr8                          24 u64 apic_base
 *        32 union (by exit_reason):
 *           KVM_EXIT_IO            32 u8 direction  33 u8 size  34 u16 port  36 u32 count  40 u64 data_offset
 *           KVM_EXIT_MMIO          32 u64 phys_addr 40 u8 data[8]  48 u32 len  52 u8 is_write
 *           KVM_EXIT_FAIL_ENTRY    32 u64 hardware_entry_failure_reason  40 u32 cpu
 *           KVM_EXIT_INTERNAL_ERROR 32 u32 suberror 36 u32 ndata  40 u64 data[16]
 *           KVM_EXIT_SYSTEM_EVENT  32 u32 type  36 u32 ndata  40 u64 data[16]
 *       288 u64 kvm_valid_regs  296 u64 kvm_dirty_regs  304 sync regs
 *   data_offset (usually 4096): port I/O data, {@code count * size} bytes
 * </pre>
 *
 * <p>Thread-safety: owned by the vCPU thread, except {@link #immediateExit(boolean)}, which another thread may
 * call to kick the vCPU (it is an atomic, volatile update).
 */
public final class KvmRun {
    /** {@code KVM_EXIT_UNKNOWN}. */
    public static final int EXIT_UNKNOWN = 0;
    /** {@code KVM_EXIT_EXCEPTION}. */
    public static final int EXIT_EXCEPTION = 1;
    /** {@code KVM_EXIT_IO}: port I/O; see {@link #ioPort()}. */
    public static final int EXIT_IO = 2;
    /** {@code KVM_EXIT_HYPERCALL}. */
    public static final int EXIT_HYPERCALL = 3;
    /** {@code KVM_EXIT_DEBUG}. */
    public static final int EXIT_DEBUG = 4;
    /** {@code KVM_EXIT_HLT}: the guest halted without an in-kernel LAPIC. */
    public static final int EXIT_HLT = 5;
    /** {@code KVM_EXIT_MMIO}: an access outside RAM; see {@link #mmioPhysAddr()}. */
    public static final int EXIT_MMIO = 6;
    /** {@code KVM_EXIT_IRQ_WINDOW_OPEN}. */
    public static final int EXIT_IRQ_WINDOW_OPEN = 7;
    /** {@code KVM_EXIT_SHUTDOWN}: triple fault. */
    public static final int EXIT_SHUTDOWN = 8;
    /** {@code KVM_EXIT_FAIL_ENTRY}: the hardware refused the guest state; see {@link #failEntryReason()}. */
    public static final int EXIT_FAIL_ENTRY = 9;
    /** {@code KVM_EXIT_INTR}: a signal interrupted the run. */
    public static final int EXIT_INTR = 10;
    /** {@code KVM_EXIT_NMI}. */
    public static final int EXIT_NMI = 16;
    /** {@code KVM_EXIT_INTERNAL_ERROR}: e.g. emulation failure; see {@link #internalSuberror()}. */
    public static final int EXIT_INTERNAL_ERROR = 17;
    /** {@code KVM_EXIT_SYSTEM_EVENT}: shutdown, reset or crash request; see {@link #systemEventType()}. */
    public static final int EXIT_SYSTEM_EVENT = 24;
    /** {@code KVM_EXIT_IO_IN}: the guest reads the port; the VMM fills the data before the next run. */
    public static final int IO_IN = 0;
    /** {@code KVM_EXIT_IO_OUT}: the guest writes the port. */
    public static final int IO_OUT = 1;
    /** {@code KVM_INTERNAL_ERROR_EMULATION}. */
    public static final int INTERNAL_ERROR_EMULATION = 1;

    private static final VarHandle INT_VIEW = MethodHandles.byteBufferViewVarHandle(int[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final int IMMEDIATE_EXIT_BIT = 1 << 8;

    private final ByteBuffer run;

    /** @param sharedPage a little-endian view of the whole vCPU mmap ({@code KVM_GET_VCPU_MMAP_SIZE} bytes) */
    KvmRun(ByteBuffer sharedPage) {
        this.run = sharedPage.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The shared page as a little-endian buffer (absolute indexing only), for string I/O data. */
    public ByteBuffer buffer() {
        return run;
    }

    /** Why the last {@code KVM_RUN} returned: one of the {@code EXIT_*} constants. */
    public int exitReason() {
        return run.getInt(8);
    }

    /** Whether the kernel will stop before entering the guest (the kick of a pause or stop request). */
    public boolean immediateExit() {
        return run.get(1) != 0;
    }

    /** Sets or clears {@code immediate_exit}; safe to call from any thread. */
    public void immediateExit(boolean exit) {
        // The byte shares an aligned word with request_interrupt_window: update it atomically.
        if (exit) {
            INT_VIEW.getAndBitwiseOr(run, 0, IMMEDIATE_EXIT_BIT);
        } else {
            INT_VIEW.getAndBitwiseAnd(run, 0, ~IMMEDIATE_EXIT_BIT);
        }
    }

    /** Sets {@code request_interrupt_window}. */
    public void requestInterruptWindow(boolean request) {
        run.put(0, (byte) (request ? 1 : 0));
    }

    /** {@code ready_for_interrupt_injection}. */
    public boolean readyForInterruptInjection() {
        return run.get(12) != 0;
    }

    /** {@code if_flag}: the guest's RFLAGS.IF at the exit. */
    public boolean ifFlag() {
        return run.get(13) != 0;
    }

    /** {@code cr8} at the exit. */
    public long cr8() {
        return run.getLong(16);
    }

    /** {@code apic_base} at the exit. */
    public long apicBase() {
        return run.getLong(24);
    }

    /** IO exit: {@link #IO_IN} or {@link #IO_OUT}. */
    public int ioDirection() {
        return run.get(32);
    }

    /** IO exit: access size in bytes (1, 2 or 4). */
    public int ioSize() {
        return run.get(33);
    }

    /** IO exit: the port number. */
    public int ioPort() {
        return Short.toUnsignedInt(run.getShort(34));
    }

    /** IO exit: the repeat count (greater than 1 for {@code rep ins/outs}). */
    public int ioCount() {
        return run.getInt(36);
    }

    /** IO exit: where the data is, as an offset from the start of the shared page. */
    public int ioDataOffset() {
        return (int) run.getLong(40);
    }

    /** IO exit with count 1: the value written by an {@code out}, zero-extended from {@link #ioSize()} bytes. */
    public int ioValue() {
        int off = ioDataOffset();
        return switch (ioSize()) {
            case 1 -> run.get(off) & 0xff;
            case 2 -> run.getShort(off) & 0xffff;
            default -> run.getInt(off);
        };
    }

    /** IO exit with count 1: the value an {@code in} receives, truncated to {@link #ioSize()} bytes. */
    public void ioValue(int value) {
        int off = ioDataOffset();
        switch (ioSize()) {
            case 1 -> run.put(off, (byte) value);
            case 2 -> run.putShort(off, (short) value);
            default -> run.putInt(off, value);
        }
    }

    /** MMIO exit: the guest-physical address accessed. */
    public long mmioPhysAddr() {
        return run.getLong(32);
    }

    /** MMIO exit: the access length in bytes (1, 2, 4 or 8). */
    public int mmioLen() {
        return run.getInt(48);
    }

    /** MMIO exit: whether the guest wrote. */
    public boolean mmioIsWrite() {
        return run.get(52) != 0;
    }

    /** MMIO exit: the written data, little-endian, zero-extended from {@link #mmioLen()} bytes. */
    public long mmioData() {
        long raw = run.getLong(40);
        int len = mmioLen();
        return len >= 8 ? raw : raw & ((1L << (8 * len)) - 1);
    }

    /** MMIO read exit: the value the guest receives (the low {@link #mmioLen()} bytes are used). */
    public void mmioData(long value) {
        run.putLong(40, value);
    }

    /** INTERNAL_ERROR exit: the suberror ({@link #INTERNAL_ERROR_EMULATION}, ...). */
    public int internalSuberror() {
        return run.getInt(32);
    }

    /** INTERNAL_ERROR exit: number of valid words in {@link #internalData(int)}. */
    public int internalNdata() {
        return run.getInt(36);
    }

    /** INTERNAL_ERROR exit: data word {@code i} (0..15). */
    public long internalData(int i) {
        return run.getLong(40 + 8 * i);
    }

    /** FAIL_ENTRY exit: the hardware entry failure reason (VMX exit reason / SVM exit code). */
    public long failEntryReason() {
        return run.getLong(32);
    }

    /** FAIL_ENTRY exit: the physical CPU it happened on. */
    public int failEntryCpu() {
        return run.getInt(40);
    }

    /** SYSTEM_EVENT exit: {@code KVM_SYSTEM_EVENT_SHUTDOWN} (1), {@code _RESET} (2), {@code _CRASH} (3), ... */
    public int systemEventType() {
        return run.getInt(32);
    }

    /** A readable name of an exit reason, for messages ({@code "IO"}, {@code "HLT"}, or the number). */
    public static String exitName(int reason) {
        return switch (reason) {
            case EXIT_UNKNOWN -> "UNKNOWN";
            case EXIT_EXCEPTION -> "EXCEPTION";
            case EXIT_IO -> "IO";
            case EXIT_HYPERCALL -> "HYPERCALL";
            case EXIT_DEBUG -> "DEBUG";
            case EXIT_HLT -> "HLT";
            case EXIT_MMIO -> "MMIO";
            case EXIT_IRQ_WINDOW_OPEN -> "IRQ_WINDOW_OPEN";
            case EXIT_SHUTDOWN -> "SHUTDOWN";
            case EXIT_FAIL_ENTRY -> "FAIL_ENTRY";
            case EXIT_INTR -> "INTR";
            case EXIT_NMI -> "NMI";
            case EXIT_INTERNAL_ERROR -> "INTERNAL_ERROR";
            case EXIT_SYSTEM_EVENT -> "SYSTEM_EVENT";
            default -> "exit " + reason;
        };
    }
}
