package org.jkvm.driver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.jkvm.domainxml.KvmDevice;

/**
 * The driver's settings, validated once.
 *
 * @param stateDir           the daemon's state folder (store, run/, log/, autostart/)
 * @param engineCommand      the program that runs one engine, with any leading arguments (e.g.
 *                           {@code [/opt/jkvm/bin/jkvm-engine]}); the engine options follow it
 * @param qemuAlias          whether {@code qemu:///system} is served too
 * @param migrationAddress   the address a destination advertises to sources, or null to pick one
 * @param migrationPortFrom  first port of the incoming-migration range
 * @param migrationPortTo    last port of the incoming-migration range
 * @param engineStartTimeout how long an engine may take to open its monitor
 * @param spareEngine        whether an engine process is kept started ahead of need ({@code -standby}), so a
 *                           migration's destination engine starts without the JVM's start-up
 * @param kvmDevice          the KVM device ({@link KvmDevice#configured()}: property {@code jkvm.kvm.device}, env
 *                           {@code JKVM_KVM_DEVICE}, {@code /dev/kvm}); a missing path means a host without KVM
 */
public record DriverConfig(Path stateDir, List<String> engineCommand, boolean qemuAlias, String migrationAddress,
                           int migrationPortFrom, int migrationPortTo, Duration engineStartTimeout,
                           boolean spareEngine, Path kvmDevice) {
    /** Validates and copies. */
    public DriverConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(kvmDevice, "kvmDevice");
        engineCommand = List.copyOf(engineCommand);
        if (engineCommand.isEmpty()) {
            throw new IllegalArgumentException("the engine command is empty; set jkvm.engine.command to the path "
                    + "of bin/jkvm-engine");
        }
        if (migrationPortFrom < 1 || migrationPortTo > 65535 || migrationPortFrom > migrationPortTo) {
            throw new IllegalArgumentException("migration ports " + migrationPortFrom + "-" + migrationPortTo
                    + " are not a valid range; give FROM-TO with 1 <= FROM <= TO <= 65535");
        }
    }

    /** The settings with this process's KVM device ({@link KvmDevice#configured()}). */
    public DriverConfig(Path stateDir, List<String> engineCommand, boolean qemuAlias, String migrationAddress,
                        int migrationPortFrom, int migrationPortTo, Duration engineStartTimeout,
                        boolean spareEngine) {
        this(stateDir, engineCommand, qemuAlias, migrationAddress, migrationPortFrom, migrationPortTo,
                engineStartTimeout, spareEngine, KvmDevice.configured());
    }

    /** The settings without a spare engine. */
    public DriverConfig(Path stateDir, List<String> engineCommand, boolean qemuAlias, String migrationAddress,
                        int migrationPortFrom, int migrationPortTo, Duration engineStartTimeout) {
        this(stateDir, engineCommand, qemuAlias, migrationAddress, migrationPortFrom, migrationPortTo,
                engineStartTimeout, false);
    }

    /** The same settings with another KVM device (tests point it at a missing path to simulate no KVM). */
    public DriverConfig withKvmDevice(Path device) {
        return new DriverConfig(stateDir, engineCommand, qemuAlias, migrationAddress, migrationPortFrom,
                migrationPortTo, engineStartTimeout, spareEngine, device);
    }

    /**
     * Defaults for a state folder and engine command: alias on, ports 49152-49215, 60 s engine start, a spare
     * engine.
     */
    public static DriverConfig of(Path stateDir, List<String> engineCommand) {
        return new DriverConfig(stateDir, engineCommand, true, null, 49152, 49215, Duration.ofSeconds(60), true);
    }
}
