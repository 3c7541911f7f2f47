package org.jkvm.engine.net;

import java.nio.ByteBuffer;

import org.jkvm.devices.virtio.net.MacAddress;

/**
 * The "I'm over here" frame: a 60-byte broadcast RARP request (RFC 903, ethertype 0x8035) whose sender and target
 * hardware addresses are the NIC's MAC, the frame QEMU sends for every NIC after a migration. Switches learn the
 * MAC's new port from its source address; nobody answers it.
 *
 * <pre>
 * dst ff:ff:ff:ff:ff:ff | src MAC | 0x8035 | htype 1 | ptype 0x0800 | hlen 6 | plen 4 | op 3 (request reverse)
 * | sha MAC | spa 0.0.0.0 | tha MAC | tpa 0.0.0.0 | zero padding to 60 bytes
 * </pre>
 */
public final class Rarp {
    /** The frame's length (the Ethernet minimum without its FCS). */
    public static final int LENGTH = 60;
    /** RARP's ethertype. */
    public static final int ETHERTYPE = 0x8035;

    private Rarp() {
    }

    /** The frame for {@code mac}, in a new direct buffer (what a tap write takes), position 0, limit 60. */
    public static ByteBuffer frame(MacAddress mac) {
        ByteBuffer b = ByteBuffer.allocateDirect(LENGTH); // network byte order, zero-filled
        byte[] m = mac.bytes();
        b.put(MacAddress.BROADCAST.bytes()).put(m).putShort((short) ETHERTYPE);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 3);
        b.put(m).putInt(0).put(m).putInt(0);
        return b.clear();
    }
}
