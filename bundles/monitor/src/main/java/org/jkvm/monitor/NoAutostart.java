package org.jkvm.monitor;

import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.StateSection;

/**
 * The VM for an incoming migration under {@code -S}: as in QEMU, the guest stays paused after the migration even
 * if it ran on the source ({@code cont} starts it). Everything else is passed through.
 */
final class NoAutostart implements Migratable {
    private final Migratable vm;

    NoAutostart(Migratable vm) {
        this.vm = vm;
    }

    @Override
    public void resume() {
        // -S: the user (or the driver) starts the guest with cont
    }

    @Override
    public void pause() {
        vm.pause();
    }

    @Override
    public String migrationBlocker() {
        return vm.migrationBlocker();
    }

    @Override
    public boolean isRunning() {
        return vm.isRunning();
    }

    @Override
    public GuestMemory memory() {
        return vm.memory();
    }

    @Override
    public void startDirtyLog() {
        vm.startDirtyLog();
    }

    @Override
    public void stopDirtyLog() {
        vm.stopDirtyLog();
    }

    @Override
    public long syncDirtyLog(List<DirtyBitmap> into) {
        return vm.syncDirtyLog(into);
    }

    @Override
    public void setThrottle(int percent) {
        vm.setThrottle(percent);
    }

    @Override
    public int throttle() {
        return vm.throttle();
    }

    @Override
    public List<StateSection> saveState() {
        return vm.saveState();
    }

    @Override
    public void restoreState(List<StateSection> sections) {
        vm.restoreState(sections);
    }

    @Override
    public Map<String, String> configFingerprint() {
        return vm.configFingerprint();
    }

    @Override
    public void flushBlockDevices() {
        vm.flushBlockDevices();
    }

    @Override
    public void preflushBlockDevices() {
        vm.preflushBlockDevices();
    }

    @Override
    public void inactivateBlockDevices() {
        vm.inactivateBlockDevices();
    }

    @Override
    public void activateBlockDevices() {
        vm.activateBlockDevices();
    }

    @Override
    public Runnable raiseDowntimePriority() {
        return vm.raiseDowntimePriority();
    }

    @Override
    public void checkBlockDevicesFree() {
        vm.checkBlockDevicesFree();
    }
}
