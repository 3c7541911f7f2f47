package org.jkvm.engine.platform;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.vmstate.Stateful;

/**
 * The migration sections of the backend's interrupt controllers and timer ({@code pic}, {@code ioapic},
 * {@code pit}) and of each vCPU's local APIC ({@code lapic}, instance = vCPU id), encoded by
 * {@link PcStateCodec}. A machine without interrupt controllers has none of them. Stateless.
 */
public final class IrqChipSections {
    private IrqChipSections() {
    }

    /** {@code pic}, {@code ioapic} and {@code pit} of {@code chip}. */
    public static List<Stateful<?>> of(HvIrqChip chip) {
        return List.of(
                new Section<>("pic", 0, PcStateCodec.VERSION, chip::savePic, chip::restorePic,
                        PcStateCodec::encodePic, PcStateCodec::decodePic),
                new Section<>("ioapic", 0, PcStateCodec.VERSION, chip::saveIoapic, chip::restoreIoapic,
                        PcStateCodec::encodeIoapic, PcStateCodec::decodeIoapic),
                new Section<>("pit", 0, PcStateCodec.VERSION, chip::savePit, chip::restorePit,
                        PcStateCodec::encodePit, PcStateCodec::decodePit));
    }

    /**
     * {@code lapic#id}; {@code save} and {@code restore} run on the vCPU's thread (the caller arranges it). Restore
     * it after the vCPU's {@code cpu} section: the APIC base and the TSC-deadline MSR come with the CPU.
     */
    public static Stateful<LapicState> lapic(int id, Supplier<LapicState> save, Consumer<LapicState> restore) {
        return new Section<>("lapic", id, PcStateCodec.VERSION, save, restore, PcStateCodec::encodeLapic,
                PcStateCodec::decodeLapic);
    }
}
