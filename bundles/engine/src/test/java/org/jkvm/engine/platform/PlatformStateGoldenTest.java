package org.jkvm.engine.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.jkvm.devices.i8042.I8042State;
import org.jkvm.devices.rtc.RtcState;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The golden files of the platform's sections ({@code state/v1/pic.bin}, {@code ioapic.bin}, {@code pit.bin},
 * {@code lapic.bin}, {@code rtc.bin}, {@code i8042.bin}, {@code kvmclock.bin}): written once by the encoders from
 * the fixed states below, they must load forever, and the encoders must reproduce them byte for byte.
 * {@code -Djkvm.golden.write=DIR} writes them again (only for a new version, into a new folder).
 */
class PlatformStateGoldenTest {
    static final PicState PIC = new PicState(
            new PicState.Chip(0x01, 0x02, 0xfa, 0x11, 0x20, 7, true, false, false, 0, false, false, false, true, false,
                    0x00, 0xf8),
            new PicState.Chip(0x00, 0x00, 0xff, 0x01, 0x28, 7, false, true, true, 2, true, true, true, true, false,
                    0x0e, 0xde));
    static final IoapicState IOAPIC = ioapic();
    static final PitState PIT = new PitState(List.of(
            new PitState.Channel(11932, 5000, true, 0x1234, 3, true, 0x34, 3, 4, 0x9c, 3, 2, false, true, true),
            PitState.Channel.reset(true),
            new PitState.Channel(0x10000, 0xfff0, true, 0, 0, false, 0, 1, 1, 0, 1, 0, false, false, false)),
            false, true);
    static final LapicState LAPIC = lapic();
    static final RtcState RTC = rtc();
    static final I8042State I8042 = new I8042State(0x47, 0x03, 0xd1, 0, true, true, new byte[] {(byte) 0xfa, 0x41});

    static IoapicState ioapic() {
        long[] t = IoapicState.reset().redirection();
        t[2] = 0x30;
        t[4] = 0x34;
        t[8] = 0x38;
        t[9] = 0x0000_0000_0000_a039L | 1L << 14; // level, active high, remote IRR
        t[23] = 0xff00_0000_0001_00feL;
        return new IoapicState(1, 0x13, 1 << 9, t);
    }

    static LapicState lapic() {
        ByteBuffer p = ByteBuffer.allocate(LapicState.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt(LapicState.VERSION, 0x50014).putInt(LapicState.SVR, 0x1ff).putInt(LapicState.LVT_TIMER, 0x200ec)
                .putInt(LapicState.TIMER_INITIAL, 1_000_000).putInt(LapicState.TIMER_CURRENT, 123_456)
                .putInt(LapicState.TIMER_DIVIDE, 0x3).putInt(LapicState.IRR + 0x10, 1 << 2) // vector 0x22
                .putInt(LapicState.ISR + 0x70, 1 << 12).putInt(0x350, 0x700).putInt(0x360, 0x400).putInt(0xd0, 1 << 24)
                .putInt(0xe0, 0xffffffff);
        return new LapicState(p.array());
    }

    static RtcState rtc() {
        byte[] cmos = new byte[128];
        byte[] clock = {0x26, 0, 0x09, 0, 0x15, 0, 0x07, 0x14, 0x03, 0x26, 0x26, 0x12, 0, (byte) 0x80};
        System.arraycopy(clock, 0, cmos, 0, clock.length);
        cmos[0x01] = (byte) 0xc0;
        cmos[0x32] = 0x20;
        cmos[0x40] = 0x77;
        return new RtcState(cmos, 8192, 0x50, 0x0c, true);
    }

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = PlatformStateGoldenTest.class.getResourceAsStream("/state/v1/" + name + ".bin")) {
            if (in == null) {
                throw new AssertionError("no golden file state/v1/" + name + ".bin");
            }
            return in.readAllBytes();
        }
    }

    private static <S> void check(String name, S expected, Section.Encoder<S> encode, Function<StateReader, S> decode)
            throws IOException {
        StateWriter w = new StateWriter();
        encode.encode(expected, w);
        byte[] written = w.toByteArray();
        String dir = System.getProperty("jkvm.golden.write");
        if (dir != null) {
            Files.write(Files.createDirectories(Path.of(dir)).resolve(name + ".bin"), written);
        }
        byte[] golden = golden(name);
        assertEquals(expected, decode.apply(new StateReader(golden, name)), name + " loads");
        assertArrayEquals(golden, written, name + " encodes byte for byte");
        // Hostile input: every truncation and a trailing byte are refused with the section's name.
        for (int cut = 0; cut < golden.length; cut += Math.max(1, golden.length / 17)) {
            byte[] shorter = Arrays.copyOf(golden, cut);
            assertThrows(VmStateException.class, () -> decode.apply(new StateReader(shorter, name)), name + " " + cut);
        }
        byte[] longer = Arrays.copyOf(golden, golden.length + 1);
        assertThrows(VmStateException.class, () -> decode.apply(new StateReader(longer, name)));
    }

    @Test
    void picLoadsAndEncodesByteForByte() throws IOException {
        check("pic", PIC, PcStateCodec::encodePic, PcStateCodec::decodePic);
    }

    @Test
    void ioapicLoadsAndEncodesByteForByte() throws IOException {
        check("ioapic", IOAPIC, PcStateCodec::encodeIoapic, PcStateCodec::decodeIoapic);
    }

    @Test
    void pitLoadsAndEncodesByteForByte() throws IOException {
        check("pit", PIT, PcStateCodec::encodePit, PcStateCodec::decodePit);
    }

    @Test
    void lapicLoadsAndEncodesByteForByte() throws IOException {
        check("lapic", LAPIC, PcStateCodec::encodeLapic, PcStateCodec::decodeLapic);
    }

    @Test
    void rtcLoadsAndEncodesByteForByte() throws IOException {
        check("rtc", RTC, (s, w) -> w.raw(s.encode()), in -> {
            RtcState s = RtcState.decode(in.raw(RtcState.ENCODED_SIZE));
            in.expectEnd();
            return s;
        });
    }

    @Test
    void i8042LoadsAndEncodesByteForByte() throws IOException {
        check("i8042", I8042, (s, w) -> w.bytes(s.encode()), in -> {
            I8042State s = I8042State.decode(in.bytes(64));
            in.expectEnd();
            return s;
        });
    }

    @Test
    void kvmclockLoadsAndEncodesByteForByte() throws IOException {
        // 2.5 days of guest time in nanoseconds
        check("kvmclock", 0x0000_c4a5_3b2e_1d0fL, KvmClockSection::encode, KvmClockSection::decode);
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheirName() {
        StateWriter w = new StateWriter();
        PcStateCodec.encodePic(PIC, w);
        byte[] pic = w.toByteArray();
        pic[7] = 4; // the master's init state
        VmStateException e = assertThrows(VmStateException.class,
                () -> PcStateCodec.decodePic(new StateReader(pic, "pic")));
        assertEquals(true, e.getMessage().contains("init state 4"), e.getMessage());
        w = new StateWriter();
        PcStateCodec.encodePit(PIT, w);
        byte[] pit = w.toByteArray();
        pit[5] = 0x02; // the current count of channel 0 above 0x10000: 0x00021388
        assertThrows(VmStateException.class, () -> PcStateCodec.decodePit(new StateReader(pit, "pit")));
        w = new StateWriter();
        PcStateCodec.encodeIoapic(IOAPIC, w);
        byte[] ioapic = w.toByteArray();
        ioapic[0] = 16;
        assertThrows(VmStateException.class, () -> PcStateCodec.decodeIoapic(new StateReader(ioapic, "ioapic")));
    }

    @Test
    void theSectionsSaveAndRestoreThroughTheirComponents() {
        List<org.jkvm.vmstate.Stateful<?>> sections = IrqChipSections.of(new FakeChip());
        for (org.jkvm.vmstate.Stateful<?> s : sections) {
            roundTrip(s);
        }
        assertEquals(List.of("pic", "ioapic", "pit"), sections.stream().map(org.jkvm.vmstate.Stateful::stateName)
                .toList());
        LapicState[] held = {LAPIC};
        var lapic = IrqChipSections.lapic(3, () -> held[0], s -> held[0] = s);
        assertEquals(3, lapic.stateInstance());
        roundTrip(lapic);
        assertEquals(LAPIC, held[0]);
    }

    private static <S> void roundTrip(org.jkvm.vmstate.Stateful<S> c) {
        S before = c.saveState();
        S decoded = c.decodeSection(c.saveSection());
        assertEquals(before, decoded, c.stateName());
        c.restoreState(decoded);
        assertEquals(before, c.saveState(), c.stateName());
    }

    /** Holds what it is given, starting from the golden states. */
    static final class FakeChip implements org.jkvm.hypervisor.HvIrqChip {
        PicState pic = PIC;
        IoapicState ioapic = IOAPIC;
        PitState pit = PIT;

        @Override
        public void setIrq(int gsi, boolean level) {
        }

        @Override
        public void signalMsi(long address, int data) {
        }

        @Override
        public PicState savePic() {
            return pic;
        }

        @Override
        public void restorePic(PicState state) {
            pic = state;
        }

        @Override
        public IoapicState saveIoapic() {
            return ioapic;
        }

        @Override
        public void restoreIoapic(IoapicState state) {
            ioapic = state;
        }

        @Override
        public PitState savePit() {
            return pit;
        }

        @Override
        public void restorePit(PitState state) {
            pit = state;
        }
    }
}
