package org.jkvm.engine.net;

import java.util.List;

/**
 * What the monitors may do with the machine's NICs. Thread-safe.
 */
public interface NetControl {
    /** A machine without NICs. */
    NetControl NONE = new NetControl() {
        @Override
        public List<NicInfo> nics() {
            return List.of();
        }

        @Override
        public void announce(AnnounceTiming timing, List<String> interfaces) {
        }

        @Override
        public AnnounceTiming timing() {
            return AnnounceTiming.DEFAULT;
        }

        @Override
        public void setTiming(AnnounceTiming timing) {
        }

        @Override
        public void setLink(String name, boolean up) {
            throw new org.jkvm.engine.EngineException("no NIC is named '" + name + "'; this machine has no NICs");
        }
    };

    /** The NICs in attach order. */
    List<NicInfo> nics();

    /**
     * Starts an announcement (QEMU's {@code announce-self}): RARP frames from each NIC's MAC out of its tap, and the
     * guest asked to announce itself, in {@code timing}'s rounds; replaces an announcement still running.
     *
     * @param interfaces the NIC ids to announce, empty for all
     * @throws org.jkvm.engine.EngineException when an interface names no NIC
     */
    void announce(AnnounceTiming timing, List<String> interfaces);

    /** The timing used after a migration or a restore (QEMU's {@code announce-*} migration parameters). */
    AnnounceTiming timing();

    /** Sets the timing used after a migration or a restore; {@code rounds = 0} turns that announcement off. */
    void setTiming(AnnounceTiming timing);

    /**
     * Sets a NIC's link up or down (QEMU's {@code set_link}), by device id or backend id.
     *
     * @throws org.jkvm.engine.EngineException when no NIC has that name
     */
    void setLink(String name, boolean up);
}
