package org.jkvm.engine.disk;

import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.engine.platform.VirtioPciCodec;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/**
 * One virtio-blk PCI function as the migration section {@code virtio-blk}, instance = its index in attach order,
 * version 2 (version 1, without MSI-X, is still read). Saving first quiesces the device, so no request is in
 * flight: every request the device took from the ring is completed in guest RAM (whose pages the final pass sends)
 * and the indices below say where the device is.
 *
 * <pre>
 * bytes  pci_config (256)          u8  device_status    u32 device_feature_select   u32 driver_feature_select
 * u64    driver_features           u16 queue_select     u8  config_generation       u8  isr
 * u16    queue count, then per queue:
 *        u16 size | bool ready | u64 desc | u64 driver | u64 device | u16 last_avail | u16 used_idx | u16 signalled
 * version 2: the MSI-X vectors and table ({@link VirtioPciCodec})
 * </pre>
 */
public final class VirtioBlkSection implements Stateful<VirtioPciState> {
    /** The section name. */
    public static final String NAME = "virtio-blk";
    /** The layout version written. */
    public static final int VERSION = VirtioPciCodec.VERSION;

    private final VirtioPciTransport function;
    private final int instance;

    /**
     * @param function the function
     * @param instance its index among the machine's disks
     */
    public VirtioBlkSection(VirtioPciTransport function, int instance) {
        this.function = function;
        this.instance = instance;
    }

    @Override
    public String stateName() {
        return NAME;
    }

    @Override
    public int stateInstance() {
        return instance;
    }

    @Override
    public int stateVersion() {
        return VERSION;
    }

    @Override
    public int stateMinVersion() {
        return VirtioPciCodec.VERSION_NO_MSIX;
    }

    @Override
    public VirtioPciState saveState() {
        function.device().quiesce();
        return function.save();
    }

    @Override
    public void restoreState(VirtioPciState state) {
        function.restore(state);
    }

    @Override
    public void encode(VirtioPciState s, StateWriter out) {
        VirtioPciCodec.encode(s, out);
    }

    @Override
    public VirtioPciState decode(StateReader in, int version) {
        VirtioPciState s = VirtioPciCodec.decode(in, version);
        in.expectEnd();
        return s;
    }
}
