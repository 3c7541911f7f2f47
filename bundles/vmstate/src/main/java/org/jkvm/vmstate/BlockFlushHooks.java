package org.jkvm.vmstate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The disk-sync hooks of one VM: each block device registers how to flush its writes to its image, and
 * {@link Migratable#flushBlockDevices()} runs them all (step 3 of the seed's algorithm: "stop the guest and sync
 * VM image(s)"). Thread-safe.
 */
public final class BlockFlushHooks {
    /** One block device's flush. */
    @FunctionalInterface
    public interface Hook {
        /** Writes every buffered write through to the image (e.g. {@code FileChannel.force(true)}). */
        void flush() throws Exception;
    }

    private final Map<String, Hook> hooks = new ConcurrentSkipListMap<>();
    private final Map<String, Long> flushCounts = new ConcurrentHashMap<>();

    /**
     * @param device a name for messages, e.g. {@code "virtio-blk0 (/var/lib/images/a.img)"}
     * @throws VmStateException when the name is already registered
     */
    public void register(String device, Hook hook) {
        if (hooks.putIfAbsent(device, hook) != null) {
            throw new VmStateException("block device " + device + " already has a flush hook");
        }
    }

    /** Removes a device's hook (hot-unplug); a no-op for an unknown name. */
    public void unregister(String device) {
        hooks.remove(device);
    }

    /**
     * Flushes every registered device, in name order.
     *
     * @throws VmStateException naming the first device whose flush failed (the cause is chained)
     */
    public void flushAll() {
        for (Map.Entry<String, Hook> e : hooks.entrySet()) {
            try {
                e.getValue().flush();
                flushCounts.merge(e.getKey(), 1L, Long::sum);
            } catch (Exception ex) {
                throw new VmStateException("cannot flush block device " + e.getKey() + " to its image: "
                        + ex.getMessage() + "; check the storage and retry the migration", ex);
            }
        }
    }

    /** How many times a device was flushed successfully (for tests and statistics). */
    public long flushCount(String device) {
        return flushCounts.getOrDefault(device, 0L);
    }

    /** Number of registered devices. */
    public int size() {
        return hooks.size();
    }
}
