package org.jkvm.softcpu.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.mem.PhysMemory;
import org.jkvm.softcpu.ops.Alu;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.Legacy;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.Str;
import org.jkvm.softcpu.sys.Modes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Instruction lengths, prefixes, operand forms and decode-time exceptions, without running anything. */
class DecoderTest {
    private MmapGuestMemory memory;
    private Cpu c;
    private Decoder decoder;

    @BeforeEach
    void setUp() {
        memory = MmapGuestMemory.allocate(1 << 20);
        c = new Cpu(0, new PhysMemory(memory));
        decoder = new Decoder(c);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    /** Puts the CPU in 64-bit (or, with {@code bits} 32/16, flat protected or real) mode. */
    private void mode(int bits) {
        c.cr0 = bits == 16 ? 0x10 : 0x11;
        c.efer = bits == 64 ? 0x500 : 0;
        c.cr0 |= bits == 64 ? 0x80000000L : 0;
        c.cr4 = bits == 64 ? 0x20 : 0;
        c.cr3 = 0x10000;
        memory.writeLongLE(0x10000, 0x11003);
        memory.writeLongLE(0x11000, 0x12003);
        memory.writeLongLE(0x12000, 0x83);
        c.segAr[Cpu.CS] = bits == 64 ? 0x209b : bits == 32 ? 0xc09b : 0x9b;
        c.segLimit[Cpu.CS] = 0xffffffffL;
        Modes.update(c);
    }

    private Op decode(int bits, int... bytes) {
        mode(bits);
        ByteBuffer b = ByteBuffer.allocate(bytes.length);
        for (int x : bytes) {
            b.put((byte) x);
        }
        memory.write(0x1000, b.flip());
        decoder.dec().startBlock(0x1000);
        return decoder.decode();
    }

    private static int length(Op op) {
        return (int) (op.next - op.rip);
    }

    @Test
    void lengthsOfModrmSibDisplacementAndImmediateForms() {
        assertEquals(1, length(decode(64, 0x90)));
        assertEquals(3, length(decode(64, 0x48, 0x01, 0xd8)));               // add rax, rbx
        assertEquals(9, length(decode(64, 0x48, 0x81, 0x44, 0x24, 0x08, 1, 2, 3, 4)));  // add [rsp+8], imm32
        assertEquals(6, length(decode(64, 0x8b, 0x05, 1, 2, 3, 4, 0x90)));   // mov eax, [rip+disp32]
        assertEquals(10, length(decode(64, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8)));   // movabs rax, imm64
        assertEquals(5, length(decode(32, 0xb8, 1, 2, 3, 4)));
        assertEquals(4, length(decode(32, 0x66, 0xb8, 1, 2)));
        assertEquals(3, length(decode(16, 0xb8, 1, 2)));
        assertEquals(6, length(decode(16, 0x66, 0xb8, 1, 2, 3, 4)));
        assertEquals(3, length(decode(16, 0x8b, 0x46, 0x10, 0x90)));          // mov ax, [bp+0x10]
        assertEquals(4, length(decode(16, 0x8b, 0x86, 0x10, 0x20)));              // mov ax, [bp+0x2010]
        assertEquals(7, length(decode(32, 0x8b, 0x04, 0x25, 1, 2, 3, 4)));        // mov eax, [disp32] via SIB
    }

    @Test
    void formsAndPrefixes() {
        assertInstanceOf(Alu.RR.class, decode(64, 0x48, 0x01, 0xd8));
        assertInstanceOf(Mov.Load.class, decode(64, 0x48, 0x8b, 0x03));
        assertInstanceOf(Mov.Store.class, decode(64, 0x89, 0x03));
        assertInstanceOf(Mov.GE.class, decode(64, 0x8a, 0x03));
        assertInstanceOf(Str.class, decode(64, 0xf3, 0x48, 0xab));
        Op jcc = decode(64, 0x0f, 0x84, 0x10, 0, 0, 0);
        assertInstanceOf(Branch.Jcc.class, jcc);
        assertEquals(0x1006 + 0x10, ((Branch.Jcc) jcc).target);
        Op jmp16 = decode(16, 0xeb, 0xfe);
        assertEquals(0x1000, ((Branch.Jmp) jmp16).target);
    }

    @Test
    void rexBeforeALegacyPrefixIsIgnored() {
        // 48 66 b8: the REX.W is cancelled by the following 66, so this is mov ax, imm16.
        assertEquals(5, length(decode(64, 0x48, 0x66, 0xb8, 1, 2)));
    }

    @Test
    void invalidIn64BitModeAndLockedRegisterForms() {
        assertInstanceOf(Legacy.Undefined.class, decode(64, 0x06));          // push es
        assertInstanceOf(Legacy.Undefined.class, decode(64, 0x37));          // aaa
        assertInstanceOf(Legacy.Raise.class, decode(64, 0xf0, 0x01, 0xd8)); // lock add eax, ebx
        assertInstanceOf(Legacy.Raise.class, decode(64, 0xf0, 0x90));       // lock nop
    }

    @Test
    void anInstructionLongerThanFifteenBytesIsGp() {
        int[] bytes = new int[16];
        java.util.Arrays.fill(bytes, 0x66);
        bytes[15] = 0x90;
        GuestFault f = assertThrows(GuestFault.class, () -> decode(64, bytes));
        assertEquals(Vec.GP, f.vector);
    }

    @Test
    void stackSegmentIsTheDefaultOnlyForRspAndRbpBases() {
        decode(64, 0x49, 0x8b, 0x44, 0x24, 0x08);   // mov rax, [r12+8]
        assertEquals(Cpu.DS, decoder.dec().effSeg);
        decode(64, 0x48, 0x8b, 0x44, 0x24, 0x08);   // mov rax, [rsp+8]
        assertEquals(Cpu.SS, decoder.dec().effSeg);
        decode(64, 0x49, 0x8b, 0x45, 0x08);         // mov rax, [r13+8]
        assertEquals(Cpu.DS, decoder.dec().effSeg);
        decode(64, 0x48, 0x8b, 0x45, 0x08);         // mov rax, [rbp+8]
        assertEquals(Cpu.SS, decoder.dec().effSeg);
    }
}
