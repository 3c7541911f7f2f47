package org.jkvm.engine.platform;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.IoBus;
import org.jkvm.devices.PlatformControl;
import org.jkvm.devices.ResetControl;
import org.jkvm.devices.i8042.I8042;
import org.jkvm.devices.i8042.I8042State;
import org.jkvm.devices.rtc.CmosRtc;
import org.jkvm.devices.rtc.RtcState;
import org.jkvm.devices.serial.Serial16550;
import org.jkvm.devices.serial.SerialOutput;
import org.jkvm.vmstate.Stateful;

/**
 * The PC's user-space devices on the port bus, each on its ISA IRQ: COM1 (16550A, 0x3f8, IRQ 4), the CMOS RTC
 * (0x70-0x71, IRQ 8), the 8042 (0x60 and 0x64, IRQ 1) and the reset control register (0xcf9). The interrupt
 * controllers and the PIT are the backend's, never on this bus.
 *
 * <p>Thread-safety is the devices' own.
 */
public final class PcDevices {
    /** COM1's base port. */
    public static final int COM1 = 0x3f8;
    /** COM1's IRQ. */
    public static final int COM1_IRQ = 4;
    /** The RTC's IRQ. */
    public static final int RTC_IRQ = 8;
    /** The keyboard's IRQ. */
    public static final int KBD_IRQ = 1;

    private final Serial16550 serial;
    private final CmosRtc rtc;
    private final I8042 i8042;
    private final ResetControl resetControl;

    /**
     * Creates the devices and maps them on {@code pio}.
     *
     * @param pio          the port bus
     * @param lines        the interrupt lines
     * @param clock        guest time for the RTC and the UART's character timeout
     * @param serialOutput where COM1's bytes go
     * @param platform     told about the guest's resets
     * @param startEpochSeconds the RTC's time at start (the host's, UTC)
     */
    public PcDevices(IoBus pio, IrqLines lines, EngineClock clock, SerialOutput serialOutput,
            PlatformControl platform, long startEpochSeconds) {
        serial = new Serial16550(lines.line(COM1_IRQ), serialOutput, clock);
        rtc = new CmosRtc(lines.line(RTC_IRQ), clock, startEpochSeconds);
        i8042 = new I8042(lines.line(KBD_IRQ), platform);
        resetControl = new ResetControl(platform);
        pio.register(COM1, 8, serial);
        pio.register(CmosRtc.PORT, 2, rtc);
        pio.register(I8042.DATA_PORT, 1, i8042.dataPort());
        pio.register(I8042.COMMAND_PORT, 1, i8042.commandPort());
        pio.register(ResetControl.PORT, 1, resetControl);
    }

    /** COM1. */
    public Serial16550 serial() {
        return serial;
    }

    /** The RTC. */
    public CmosRtc rtc() {
        return rtc;
    }

    /** The devices after a system reset (the RTC keeps its time, as its battery does). */
    public void reset() {
        serial.reset();
        rtc.reset();
        i8042.reset();
        resetControl.reset();
    }

    /**
     * The migration sections of the devices other than COM1 (which keeps its own, {@code serial}): {@code rtc}
     * and {@code i8042}, version 1.
     */
    public List<Stateful<?>> sections() {
        List<Stateful<?>> out = new ArrayList<>();
        out.add(new Section<>("rtc", 0, RtcState.VERSION, rtc::save, rtc::restore,
                (s, w) -> w.raw(s.encode()), in -> RtcState.decode(in.raw(RtcState.ENCODED_SIZE))));
        out.add(new Section<>("i8042", 0, I8042State.VERSION, i8042::save, i8042::restore,
                (s, w) -> w.bytes(s.encode()), in -> I8042State.decode(in.bytes(64))));
        return out;
    }

    /** The fingerprint entries of these devices (the destination must have the same). */
    public static void fingerprint(java.util.Map<String, String> f) {
        f.put("device.rtc.0", "mc146818@0x70,irq8");
        f.put("device.i8042.0", "0x60,0x64,irq1");
        f.put("device.reset-control.0", "0xcf9");
        f.put("device.serial.0.irq", "4");
    }
}
