package org.jkvm.engine.net;

import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.devices.virtio.net.VirtioNet;
import org.jkvm.devices.virtio.net.VirtioNetState;
import org.jkvm.engine.platform.VirtioPciCodec;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/**
 * One virtio-net PCI function as the migration section {@code virtio-net}, instance = its index among the NICs,
 * version 2 (version 1, without MSI-X, is still read). Saving stops the device first (the VM is paused), so no
 * request is half done: transmit requests not yet taken stay in the available ring in guest RAM and the destination
 * serves them; the one frame from the host that waited for a receive buffer travels in the section and is delivered
 * on the destination.
 *
 * <pre>
 * the virtio PCI function, as in virtio-blk (pci_config, common configuration, queues, from version 2 MSI-X:
 * {@link VirtioPciCodec})
 * u16 net_status (bit 1: VIRTIO_NET_S_ANNOUNCE pending)   u32 kept frame length (0 to 65536) | the kept frame
 * </pre>
 */
public final class VirtioNetSection implements Stateful<VirtioNetState> {
    /** The section name. */
    public static final String NAME = "virtio-net";
    /** The layout version written. */
    public static final int VERSION = VirtioPciCodec.VERSION;
    private static final int MAX_FRAME = 65536;

    private final VirtioPciTransport function;
    private final VirtioNet device;
    private final int instance;

    /**
     * @param function the PCI function
     * @param device   its device
     * @param instance its index among the machine's NICs
     */
    public VirtioNetSection(VirtioPciTransport function, VirtioNet device, int instance) {
        this.function = function;
        this.device = device;
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
    public VirtioNetState saveState() {
        device.quiesce();
        return device.save(function.save());
    }

    @Override
    public void restoreState(VirtioNetState state) {
        function.restore(state.pci());
        device.restore(state);
    }

    @Override
    public void encode(VirtioNetState s, StateWriter out) {
        encodeState(s, out);
    }

    /** Writes {@code s} in the layout above. */
    public static void encodeState(VirtioNetState s, StateWriter out) {
        encodeState(s, out, VERSION);
    }

    /** Writes {@code s} in the layout of {@code version} (1: without MSI-X, for golden files). */
    public static void encodeState(VirtioNetState s, StateWriter out, int version) {
        VirtioPciCodec.encode(s.pci(), out, version);
        byte[] frame = s.pendingFrame();
        out.u16(s.netStatus()).bytes(frame);
    }

    @Override
    public VirtioNetState decode(StateReader in, int version) {
        VirtioNetState s = decodeState(in, version);
        in.expectEnd();
        return s;
    }

    /**
     * Reads the layout above, validating every value.
     *
     * @throws org.jkvm.vmstate.VmStateException naming the bad value
     */
    public static VirtioNetState decodeState(StateReader in) {
        return decodeState(in, VERSION);
    }

    /** Reads the layout above as {@code version} wrote it; see {@link #decodeState(StateReader)}. */
    public static VirtioNetState decodeState(StateReader in, int version) {
        var pci = VirtioPciCodec.decode(in, version);
        if (pci.queues().size() != 3) {
            throw in.corrupt(pci.queues().size() + " virtqueues for a NIC (virtio-net has 3: rx, tx, control)");
        }
        int status = in.u16();
        if ((status & ~VirtioNet.S_ANNOUNCE) != 0) {
            throw in.corrupt("net status 0x" + Integer.toHexString(status) + " (only ANNOUNCE, 0x2, travels)");
        }
        byte[] frame = in.bytes(MAX_FRAME);
        return new VirtioNetState(pci, status, frame);
    }
}
