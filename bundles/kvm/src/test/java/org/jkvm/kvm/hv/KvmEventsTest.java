package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.PendingEvents.ExceptionEvent;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.kvm.MpState;
import org.jkvm.kvm.VcpuEvents;
import org.junit.jupiter.api.Test;

/** kvm_vcpu_events and the MP state against the architectural records, both ways, byte for byte. */
class KvmEventsTest {
    private static ByteBuffer events() {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void everyEventFieldInBothDirections() {
        ByteBuffer b = events();
        b.put(0, (byte) 1).put(1, (byte) 13).put(2, (byte) 1).putInt(4, 0x10); // #GP(0x10) injected
        b.put(8, (byte) 1).put(9, (byte) 0x30).put(10, (byte) 0).put(11, (byte) 3); // INTR 0x30, STI + MOV SS
        b.put(12, (byte) 1).put(13, (byte) 1).put(14, (byte) 1); // NMI injected, pending, masked
        b.putInt(20, KvmEvents.VALID_NMI_PENDING | KvmEvents.VALID_SHADOW);
        PendingEvents expected = new PendingEvents(new ExceptionEvent(13, true, true, 0x10, false, 0), 0x30, false,
                0x41, true, true, true, true, true);
        assertEquals(expected, KvmEvents.events(new VcpuEvents(b.array()), 0x41));
        assertArrayEquals(b.array(), KvmEvents.vcpuEvents(expected).bytes());
    }

    @Test
    void nothingPendingIsAllZeroButTheFlags() {
        ByteBuffer b = events().putInt(20, KvmEvents.VALID_NMI_PENDING | KvmEvents.VALID_SHADOW);
        assertEquals(PendingEvents.none(), KvmEvents.events(new VcpuEvents(b.array()), -1));
        assertArrayEquals(b.array(), KvmEvents.vcpuEvents(PendingEvents.none()).bytes());
    }

    @Test
    void aSoftInterruptAndFieldsWithoutTheirValidFlag() {
        ByteBuffer b = events();
        b.put(8, (byte) 1).put(9, (byte) 0x80).put(10, (byte) 1).put(11, (byte) 2).put(13, (byte) 1);
        b.putInt(16, 0x99).putInt(20, KvmEvents.VALID_SIPI_VECTOR | KvmEvents.VALID_SMM).put(24, (byte) 1);
        // Shadow and NMI-pending bytes count only with their flags; SIPI vector and SMM are not architectural here.
        assertEquals(new PendingEvents(null, 0x80, true, -1, false, false, false, false, false),
                KvmEvents.events(new VcpuEvents(b.array()), -1));
    }

    @Test
    void aPendingExceptionWithPayload() {
        ByteBuffer b = events();
        b.put(0, (byte) 0).put(1, (byte) 14).put(2, (byte) 1).put(3, (byte) 1).putInt(4, 2);
        b.putInt(20, KvmEvents.VALID_PAYLOAD).put(55, (byte) 1).putLong(56, 0x7f00deadb000L);
        PendingEvents p = KvmEvents.events(new VcpuEvents(b.array()), -1);
        assertEquals(new ExceptionEvent(14, false, true, 2, true, 0x7f00deadb000L), p.exception());
        assertThrows(IllegalArgumentException.class, () -> KvmEvents.vcpuEvents(p),
                "KVM without KVM_CAP_EXCEPTION_PAYLOAD cannot take a payload");
        // Without the payload flag the payload bytes mean nothing.
        b.putInt(20, 0);
        assertEquals(new ExceptionEvent(14, false, true, 2, false, 0),
                KvmEvents.events(new VcpuEvents(b.array()), -1).exception());
    }

    @Test
    void aPendingExceptionGoesToKvmAsInjected() {
        PendingEvents p = new PendingEvents(new ExceptionEvent(6, false, false, 0, false, 0), -1, false, -1, false,
                false, false, false, false);
        byte[] kvm = KvmEvents.vcpuEvents(p).bytes();
        assertEquals(1, kvm[0], "injected");
        assertEquals(6, kvm[1]);
        assertEquals(0, kvm[3], "KVM has no pending exception without KVM_CAP_EXCEPTION_PAYLOAD");
        assertEquals(new ExceptionEvent(6, true, false, 0, false, 0),
                KvmEvents.events(new VcpuEvents(kvm), -1).exception());
    }

    private static CpuState state(ExceptionEvent e) {
        SystemRegisters sys = SystemRegisters.reset();
        return new CpuState(Registers.atRip(0x100), sys, XsaveArea.reset(576), 1, List.of(),
                new PendingEvents(e, -1, false, 0x50, false, false, true, false, false), ActivityState.ACTIVE,
                DebugRegisters.reset());
    }

    @Test
    void aPayloadIsDeliveredIntoCr2OrDr6() {
        CpuState pf = KvmEvents.deliverPayload(state(new ExceptionEvent(14, false, true, 2, true, 0x7f00c0de0000L)));
        assertEquals(0x7f00c0de0000L, pf.system().cr2());
        assertEquals(new ExceptionEvent(14, true, true, 2, false, 0), pf.events().exception());
        assertEquals(0x50, pf.events().pendingInterrupt(), "the rest of the events stays");
        assertEquals(SystemRegisters.reset().cr0(), pf.system().cr0());
        CpuState db = KvmEvents.deliverPayload(state(new ExceptionEvent(1, false, false, 0, true, 0x4001)));
        assertEquals(DebugRegisters.DR6_RESET | 0x4001, db.debug().dr6());
        assertEquals(0, db.system().cr2());
        CpuState none = state(new ExceptionEvent(13, true, true, 0, false, 0));
        assertSame(none, KvmEvents.deliverPayload(none));
    }

    @Test
    void mpStatesAndActivityStates() {
        assertEquals(ActivityState.ACTIVE, KvmEvents.activity(new MpState(MpState.RUNNABLE)));
        assertEquals(ActivityState.HALTED, KvmEvents.activity(new MpState(MpState.HALTED)));
        assertEquals(ActivityState.WAIT_FOR_SIPI, KvmEvents.activity(new MpState(MpState.UNINITIALIZED)));
        assertEquals(ActivityState.WAIT_FOR_SIPI, KvmEvents.activity(new MpState(MpState.INIT_RECEIVED)));
        assertEquals(ActivityState.ACTIVE, KvmEvents.activity(new MpState(MpState.SIPI_RECEIVED)));
        assertThrows(IllegalArgumentException.class, () -> KvmEvents.activity(new MpState(5)));
        assertEquals(new MpState(0), KvmEvents.mpState(ActivityState.ACTIVE));
        assertEquals(new MpState(3), KvmEvents.mpState(ActivityState.HALTED));
        assertEquals(new MpState(1), KvmEvents.mpState(ActivityState.WAIT_FOR_SIPI));
        assertThrows(IllegalArgumentException.class, () -> KvmEvents.mpState(ActivityState.SHUTDOWN));
    }
}
