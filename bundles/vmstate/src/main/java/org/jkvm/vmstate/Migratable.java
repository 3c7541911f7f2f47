package org.jkvm.vmstate;

import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;

/**
 * A VM as the migration engine sees it: its RAM, its dirty-page log, run control, throttling, device state and
 * configuration. The engine implements this; migration never sees KVM.
 *
 * <p>Source side, in order: {@link #configFingerprint()}, {@link #startDirtyLog()}, rounds of
 * {@link #syncDirtyLog} while the guest runs (optionally {@link #setThrottle}), {@link #preflushBlockDevices()}
 * (the guest still running), {@link #pause()},
 * {@link #flushBlockDevices()}, a last {@link #syncDirtyLog}, {@link #saveState()},
 * {@link #inactivateBlockDevices()} (after the last write, right before the state's end is handed over), then
 * {@link #stopDirtyLog()}. On failure or cancel before the destination's acknowledgement: {@link #stopDirtyLog()},
 * {@code setThrottle(0)}, {@link #activateBlockDevices()} (the source is again the only writer) and
 * {@link #resume()} if the guest was running. Destination side: {@link #configFingerprint()}, writes into
 * {@link #memory()} through region views, {@link #restoreState}, {@link #checkBlockDevicesFree()} before the
 * acknowledgement, then {@link #resume()} (which takes the images' write locks) unless the source guest was
 * paused. On the destination, RAM must be zero when the stream starts, except pages written through
 * {@link GuestMemory#write} (marked in their region's VMM dirty bitmap, e.g. by the firmware loader): the loader
 * does not touch a page the stream says is zero unless it was marked or received earlier, so fresh RAM is never
 * faulted in for nothing.
 *
 * <p>Thread-safety: migration calls these from its own thread while vCPU threads run; implementations
 * synchronise as needed.
 */
public interface Migratable extends Pausable {
    /** Guest RAM; the regions must not change while a migration runs. */
    GuestMemory memory();

    /**
     * Starts dirty-page tracking for all RAM (KVM_MEM_LOG_DIRTY_PAGES on every slot) and clears the logs, so the
     * next {@link #syncDirtyLog} reports pages written from now on.
     */
    void startDirtyLog();

    /** Stops dirty-page tracking; a no-op when not started. */
    void stopDirtyLog();

    /**
     * Collects the pages written since the last sync (or since {@link #startDirtyLog()}) and ORs them into
     * {@code into}, one bitmap per region in {@link GuestMemory#regions()} order, each sized to its region's
     * pages. A page is dirty if KVM's log (KVM_GET_DIRTY_LOG) OR the region's {@link
     * org.jkvm.memory.MemoryRegion#vmmDirty()} bitmap has it; both sources are cleared by the call. Works while
     * running or paused.
     *
     * @return the number of dirty bits collected from the sources (a page dirty in both counts once)
     */
    long syncDirtyLog(List<DirtyBitmap> into);

    /**
     * Auto-converge: lets the vCPUs run only {@code 100 - percent} percent of the time (QEMU's cpu-throttle:
     * sleep {@code percent/(100-percent)} of each timeslice). 0 turns throttling off; at most 99.
     */
    void setThrottle(int percent);

    /** The current throttle percentage, 0 when off. */
    int throttle();

    /**
     * The saved state of every vCPU and device, as sections. Only while paused.
     *
     * @throws VmStateException if the VM is running
     */
    List<StateSection> saveState();

    /**
     * Checks every section first (all components known, none missing, versions in range, values valid), then
     * applies them all; nothing is applied when any check fails. Only while paused (before the first run).
     *
     * @throws VmStateException naming the first bad section
     */
    void restoreState(List<StateSection> sections);

    /**
     * A canonical description of everything both sides must agree on, as sorted {@code key=value} pairs: RAM size
     * and layout ({@code ram.bytes}, {@code ram.region.0=gpa+size}), vCPU count, CPU model, the resolved CPUID
     * table (one key per leaf), and the devices ({@code device.serial.0=16550a}). The destination refuses a
     * stream whose fingerprint differs, naming each differing key.
     */
    Map<String, String> configFingerprint();

    /**
     * Why this VM cannot be migrated or saved at all, as one sentence that says what to do, or null when it can:
     * e.g. its CPU model exposes nested virtualization, whose state (a guest's own guests) is not migrated. Checked
     * before a migration starts; the guest is not touched. The default: null.
     */
    default String migrationBlocker() {
        return null;
    }

    /**
     * The disk-sync hook: flushes every block device's writes to its image, so the destination sees them (shared
     * storage). Called once, while paused, before the final pass. A VM with no block device does nothing.
     *
     * @throws VmStateException naming the device whose flush failed (the migration then fails and the source
     *                          resumes)
     */
    void flushBlockDevices();

    /**
     * Source, right before {@link #pause()} while the guest still runs: writes back what the block devices hold and
     * settles their metadata (QEMU flushes before it stops the guest too), so that {@link #flushBlockDevices()} and
     * {@link #inactivateBlockDevices()} inside the downtime find little left to write. Requests keep being served;
     * it guarantees nothing by itself. The default: nothing (no block devices).
     *
     * @throws VmStateException naming the device whose flush failed (the migration then fails, the guest runs on)
     */
    default void preflushBlockDevices() {
    }

    /**
     * Source, after the last write (guest paused, {@link #flushBlockDevices()} done): gives up the images' write
     * locks so that the destination may take them at the handover (shared storage); requests are refused until
     * {@link #activateBlockDevices()}. The default: nothing (no block devices).
     *
     * @throws VmStateException naming the device that could not be released (the migration then fails)
     */
    default void inactivateBlockDevices() {
    }

    /**
     * Source, after a failed or cancelled migration: takes the images' write locks back, so the source is again the
     * only writer before its guest resumes; does nothing on devices that were not given up. The default: nothing.
     *
     * @throws VmStateException naming the image and the process that holds it when another process took it
     */
    default void activateBlockDevices() {
    }

    /**
     * Destination, after the state was loaded and before the acknowledgement: checks that no process holds an image
     * for writing (the source gave its locks up before the end of the stream), so that the handover cannot fail on a
     * lock; takes no lock. The default: nothing.
     *
     * @throws VmStateException naming the image and the process that holds it for writing
     */
    default void checkBlockDevicesFree() {
    }

    /**
     * Raises the calling thread's scheduling priority for its part of the guest's downtime (the source's job thread
     * from the pause to the handover, its return-path reader, the destination's job thread from its last rounds to
     * the resume): on a loaded host the few milliseconds of work there otherwise wait behind other processes, and
     * each wake-up of a thread that waits for the other side can wait a time slice. Those threads block or do
     * bounded work (what the source sends); none spins.
     *
     * @return what lowers it again (any thread may call it); the default raises nothing and returns a no-op
     */
    default Runnable raiseDowntimePriority() {
        return NO_PRIORITY_CHANGE;
    }

    /** What {@link #raiseDowntimePriority()} returns when it changed nothing. */
    Runnable NO_PRIORITY_CHANGE = () -> { };
}
