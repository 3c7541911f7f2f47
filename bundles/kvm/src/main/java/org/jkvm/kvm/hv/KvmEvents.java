package org.jkvm.kvm.hv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.PendingEvents.ExceptionEvent;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.kvm.MpState;
import org.jkvm.kvm.VcpuEvents;

/**
 * Conversions of the event state: {@code struct kvm_vcpu_events} to and from {@link PendingEvents}, KVM's MP state
 * to and from {@link ActivityState}. Stateless.
 *
 * <pre>
 * kvm_vcpu_events (64 bytes, little-endian)
 *   0 exception  u8 injected, u8 nr, u8 has_error_code, u8 pending, u32 error_code
 *   8 interrupt  u8 injected, u8 nr, u8 soft, u8 shadow (1 = MOV SS, 2 = STI)
 *  12 nmi        u8 injected, u8 pending, u8 masked, u8 pad
 *  16 u32 sipi_vector   20 u32 flags   24 smi (4 x u8)   28 u8 triple_fault.pending   29 reserved
 *  55 u8 exception_has_payload   56 u64 exception_payload
 * </pre>
 *
 * <p>jkvm does not enable {@code KVM_CAP_EXCEPTION_PAYLOAD}, so KVM reports any exception between two instructions
 * as {@code injected} (its {@code pending} byte stays 0) with its payload already applied (CR2 written for #PF),
 * and it refuses {@code pending} and payloads on the way in: {@link #deliverPayload} applies a payload to the
 * registers first, and a pending exception goes in as injected (delivered before the next instruction, which is
 * what comes next for a pending one too).
 */
final class KvmEvents {
    /** {@code KVM_VCPUEVENT_VALID_NMI_PENDING}. */
    static final int VALID_NMI_PENDING = 0x1;
    /** {@code KVM_VCPUEVENT_VALID_SIPI_VECTOR}. */
    static final int VALID_SIPI_VECTOR = 0x2;
    /** {@code KVM_VCPUEVENT_VALID_SHADOW}. */
    static final int VALID_SHADOW = 0x4;
    /** {@code KVM_VCPUEVENT_VALID_SMM}. */
    static final int VALID_SMM = 0x8;
    /** {@code KVM_VCPUEVENT_VALID_PAYLOAD}. */
    static final int VALID_PAYLOAD = 0x10;
    /** {@code KVM_X86_SHADOW_INT_MOV_SS}. */
    static final int SHADOW_MOV_SS = 0x1;
    /** {@code KVM_X86_SHADOW_INT_STI}. */
    static final int SHADOW_STI = 0x2;
    private static final int VECTOR_DB = 1;
    private static final int VECTOR_PF = 14;

    private KvmEvents() {
    }

    /**
     * {@code kvm_vcpu_events} as pending events.
     *
     * @param raw              the kernel bytes
     * @param pendingInterrupt the external interrupt raised but not yet given to KVM (held by the adapter until
     *                         the guest opens an interrupt window), or -1
     * @throws IllegalArgumentException when an exception vector is above 31
     */
    static PendingEvents events(VcpuEvents raw, int pendingInterrupt) {
        ByteBuffer b = ByteBuffer.wrap(raw.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int flags = b.getInt(20);
        ExceptionEvent exception = null;
        boolean injected = b.get(0) != 0;
        boolean pending = b.get(3) != 0;
        if (injected || pending) {
            boolean hasPayload = (flags & VALID_PAYLOAD) != 0 && b.get(55) != 0;
            exception = new ExceptionEvent(b.get(1) & 0xff, injected, b.get(2) != 0, b.getInt(4), hasPayload,
                    hasPayload ? b.getLong(56) : 0);
        }
        int interrupt = b.get(8) != 0 ? b.get(9) & 0xff : -1;
        boolean soft = interrupt >= 0 && b.get(10) != 0;
        int shadow = (flags & VALID_SHADOW) != 0 ? b.get(11) : 0;
        boolean nmiPending = (flags & VALID_NMI_PENDING) != 0 && b.get(13) != 0;
        return new PendingEvents(exception, interrupt, soft, pendingInterrupt, nmiPending, b.get(12) != 0,
                b.get(14) != 0, (shadow & SHADOW_STI) != 0, (shadow & SHADOW_MOV_SS) != 0);
    }

    /**
     * Pending events as {@code kvm_vcpu_events}, with the flags NMI_PENDING and SHADOW (SIPI vector and SMM state
     * are left as KVM has them). The pending external interrupt is not part of it (the adapter holds it).
     *
     * @throws IllegalArgumentException when the exception still has a payload (apply it with
     *                                  {@link #deliverPayload} first)
     */
    static VcpuEvents vcpuEvents(PendingEvents p) {
        ByteBuffer b = ByteBuffer.allocate(VcpuEvents.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        ExceptionEvent e = p.exception();
        if (e != null) {
            if (e.hasPayload()) {
                throw new IllegalArgumentException("exception " + e.vector() + " still carries a payload; deliver it "
                        + "before giving the events to KVM");
            }
            b.put(0, (byte) 1).put(1, (byte) e.vector()).put(2, (byte) (e.hasErrorCode() ? 1 : 0))
                    .putInt(4, e.errorCode());
        }
        if (p.injectedInterrupt() >= 0) {
            b.put(8, (byte) 1).put(9, (byte) p.injectedInterrupt()).put(10, (byte) (p.injectedSoft() ? 1 : 0));
        }
        b.put(11, (byte) ((p.stiShadow() ? SHADOW_STI : 0) | (p.movSsShadow() ? SHADOW_MOV_SS : 0)));
        b.put(12, (byte) (p.nmiInjected() ? 1 : 0)).put(13, (byte) (p.nmiPending() ? 1 : 0))
                .put(14, (byte) (p.nmiMasked() ? 1 : 0));
        b.putInt(20, VALID_NMI_PENDING | VALID_SHADOW);
        return new VcpuEvents(b.array());
    }

    /**
     * The state with an exception payload applied as the CPU applies it when delivery starts (Intel SDM vol. 3,
     * 6.15: #PF writes the faulting address to CR2; #DB sets its status bits in DR6) and the exception marked as
     * injected without payload: the form KVM takes without {@code KVM_CAP_EXCEPTION_PAYLOAD}. Unchanged when there
     * is no payload.
     */
    static CpuState deliverPayload(CpuState s) {
        ExceptionEvent e = s.events().exception();
        if (e == null || !e.hasPayload()) {
            return s;
        }
        SystemRegisters sys = s.system();
        DebugRegisters debug = s.debug();
        if (e.vector() == VECTOR_PF) {
            sys = new SystemRegisters(sys.cs(), sys.ds(), sys.es(), sys.fs(), sys.gs(), sys.ss(), sys.tr(), sys.ldt(),
                    sys.gdt(), sys.idt(), sys.cr0(), e.payload(), sys.cr3(), sys.cr4(), sys.cr8(), sys.efer(),
                    sys.apicBase());
        } else if (e.vector() == VECTOR_DB) {
            // The payload holds the DR6 status bits the exception sets (B0-B3, BD, BS, BT); the others stay.
            debug = new DebugRegisters(debug.dr0(), debug.dr1(), debug.dr2(), debug.dr3(), debug.dr6() | e.payload(),
                    debug.dr7());
        }
        PendingEvents p = s.events();
        ExceptionEvent delivered = new ExceptionEvent(e.vector(), true, e.hasErrorCode(), e.errorCode(), false, 0);
        PendingEvents events = new PendingEvents(delivered, p.injectedInterrupt(), p.injectedSoft(),
                p.pendingInterrupt(), p.nmiPending(), p.nmiInjected(), p.nmiMasked(), p.stiShadow(), p.movSsShadow());
        return new CpuState(s.registers(), sys, s.fpu(), s.xcr0(), s.msrs(), events, s.activity(), debug);
    }

    /**
     * A {@code KVM_MP_STATE_*} value as the activity state: RUNNABLE is active, HALTED halted, UNINITIALIZED and
     * INIT_RECEIVED wait for a start-up IPI, SIPI_RECEIVED is about to run (active).
     *
     * @throws IllegalArgumentException for values that are not x86 MP states (5-8 are s390's)
     */
    static ActivityState activity(MpState mp) {
        return switch (mp.state()) {
            case MpState.RUNNABLE, MpState.SIPI_RECEIVED -> ActivityState.ACTIVE;
            case MpState.HALTED -> ActivityState.HALTED;
            case MpState.UNINITIALIZED, MpState.INIT_RECEIVED -> ActivityState.WAIT_FOR_SIPI;
            default -> throw new IllegalArgumentException("KVM MP state " + mp.state() + " is not an x86 MP state");
        };
    }

    /**
     * The activity state as a {@code KVM_MP_STATE_*} value.
     *
     * @throws IllegalArgumentException for {@link ActivityState#SHUTDOWN}, which KVM cannot hold (it reports a
     *                                  triple fault as an exit and leaves the vCPU unusable)
     */
    static MpState mpState(ActivityState a) {
        return switch (a) {
            case ACTIVE -> new MpState(MpState.RUNNABLE);
            case HALTED -> new MpState(MpState.HALTED);
            case WAIT_FOR_SIPI -> new MpState(MpState.UNINITIALIZED);
            case SHUTDOWN -> throw new IllegalArgumentException("KVM has no MP state for a CPU shut down by a "
                    + "triple fault");
        };
    }
}
