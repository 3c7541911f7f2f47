package org.jkvm.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.X86Layout;

/**
 * The whole configuration of one engine process, validated once at construction (Aeron's {@code conclude()}):
 * everything later code reads is known to be consistent. Built from a QEMU-style command line by
 * {@link VmConfigParser}.
 *
 * @param name        the VM name ({@code -name})
 * @param uuid        the VM UUID ({@code -uuid}), random when not given
 * @param memoryBytes guest RAM in bytes ({@code -m}), a multiple of 1 MiB
 * @param vcpus       number of vCPUs ({@code -smp}); only 1 is supported
 * @param cpu         the CPU model and feature changes ({@code -cpu})
 * @param kernel      the firmware image ({@code -kernel}), or null for the bundled firmware
 * @param append      the firmware command line ({@code -append})
 * @param serial      the COM1 backend ({@code -serial})
 * @param monitor     the HMP monitor backend ({@code -monitor}), or null
 * @param qmp         the QMP monitor socket ({@code -qmp}), or null
 * @param startPaused whether to wait for {@code cont} ({@code -S})
 * @param pidfile     where to write the process id ({@code -pidfile}), or null
 * @param daemonize   whether to detach from the terminal ({@code -daemonize})
 * @param incoming    the incoming migration URI ({@code -incoming}), or null
 * @param kvmDevice   the KVM device path ({@code -kvm-device}, else {@link #defaultKvmDevice()})
 * @param abiFingerprint an opaque ABI fingerprint of the domain ({@code -abi-fingerprint}, given by the libvirt
 *                    driver), carried in the migration configuration fingerprint as {@code domain.abi-fingerprint};
 *                    null when not given
 * @param accel       the accelerators to try in order ({@code -accel}, {@code -enable-kvm},
 *                    {@code -machine accel=kvm:tcg}); empty for the default, {@link Backends#DEFAULT}. Not part of
 *                    the migration fingerprint: a guest migrates between backends
 * @param machine     the platform's options ({@code -machine kernel-irqchip=}, {@code -no-reboot})
 */
public record VmConfig(String name, UUID uuid, long memoryBytes, int vcpus, CpuSpec cpu, Path kernel, String append,
        CharDev serial, CharDev monitor, CharDev qmp, boolean startPaused, Path pidfile, boolean daemonize,
        String incoming, Path kvmDevice, String abiFingerprint, List<Accelerator> accel, MachineOptions machine) {
    /** The default guest RAM (QEMU's default is 128 MiB). */
    public static final long DEFAULT_MEMORY_BYTES = 128L << 20;
    /** The KVM device used unless overridden. */
    public static final Path DEFAULT_KVM_DEVICE = Path.of("/dev/kvm");
    /** The environment variable naming the KVM device (below the system property {@code jkvm.kvm.device}). */
    public static final String KVM_DEVICE_ENV = "JKVM_KVM_DEVICE";

    /** Longest {@code -abi-fingerprint}, in characters (the migration stream caps a value at 4096 bytes). */
    public static final int MAX_ABI_FINGERPRINT = 1024;

    /**
     * Validates the configuration.
     *
     * @throws EngineException naming the first bad setting
     */
    public VmConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(append, "append");
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(kvmDevice, "kvmDevice");
        Objects.requireNonNull(machine, "machine");
        accel = List.copyOf(accel);
        if (memoryBytes < X86Layout.MIN_RAM_BYTES || memoryBytes > X86Layout.MAX_RAM_BYTES) {
            throw new EngineException("-m " + (memoryBytes >> 20) + "M is out of range; give between "
                    + (X86Layout.MIN_RAM_BYTES >> 20) + "M and " + (X86Layout.MAX_RAM_BYTES >> 20) + "M");
        }
        if ((memoryBytes & ((1 << 20) - 1)) != 0) {
            throw new EngineException("-m " + memoryBytes + " bytes is not a whole number of MiB; round it");
        }
        if (vcpus != 1) {
            throw new EngineException("-smp " + vcpus + " is not supported: this engine runs exactly one vCPU; "
                    + "use -smp 1");
        }
        if (serial instanceof CharDev.Stdio && monitor instanceof CharDev.Stdio) {
            throw new EngineException("-serial stdio and -monitor stdio cannot share the terminal; move one of them "
                    + "to a unix socket");
        }
        if (qmp != null && !(qmp instanceof CharDev.UnixDev)) {
            throw new EngineException("-qmp " + qmp + " is not supported; use -qmp unix:PATH,server,nowait");
        }
        if (abiFingerprint != null && (abiFingerprint.isEmpty() || abiFingerprint.length() > MAX_ABI_FINGERPRINT
                || !abiFingerprint.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f))) {
            throw new EngineException("-abi-fingerprint must be 1 to " + MAX_ABI_FINGERPRINT + " printable ASCII "
                    + "characters; pass the domain's fingerprint unchanged");
        }
        if (daemonize && (serial instanceof CharDev.Stdio || monitor instanceof CharDev.Stdio)) {
            throw new EngineException("-daemonize cannot be combined with a stdio backend; use a file or a socket");
        }
    }

    /** A configuration with the default {@link MachineOptions} (the form before {@code -machine} options). */
    public VmConfig(String name, UUID uuid, long memoryBytes, int vcpus, CpuSpec cpu, Path kernel, String append,
            CharDev serial, CharDev monitor, CharDev qmp, boolean startPaused, Path pidfile, boolean daemonize,
            String incoming, Path kvmDevice, String abiFingerprint, List<Accelerator> accel) {
        this(name, uuid, memoryBytes, vcpus, cpu, kernel, append, serial, monitor, qmp, startPaused, pidfile,
                daemonize, incoming, kvmDevice, abiFingerprint, accel, MachineOptions.DEFAULT);
    }

    /**
     * A configuration without an ABI fingerprint on the default accelerators (the form before
     * {@code -abi-fingerprint} and {@code -accel} existed).
     */
    public VmConfig(String name, UUID uuid, long memoryBytes, int vcpus, CpuSpec cpu, Path kernel, String append,
            CharDev serial, CharDev monitor, CharDev qmp, boolean startPaused, Path pidfile, boolean daemonize,
            String incoming, Path kvmDevice) {
        this(name, uuid, memoryBytes, vcpus, cpu, kernel, append, serial, monitor, qmp, startPaused, pidfile,
                daemonize, incoming, kvmDevice, null, List.of());
    }

    /** A configuration with every default and the given RAM size, for tests and embedding. */
    public static VmConfig defaults(long memoryBytes) {
        return new VmConfig("jkvm", UUID.randomUUID(), memoryBytes, 1, CpuSpec.DEFAULT, null, "",
                new CharDev.Null(), null, null, false, null, false, null, defaultKvmDevice(), null, List.of());
    }

    /** Copy on other accelerators (tests run one guest on each backend). */
    public VmConfig withAccel(List<Accelerator> newAccel) {
        return new VmConfig(name, uuid, memoryBytes, vcpus, cpu, kernel, append, serial, monitor, qmp, startPaused,
                pidfile, daemonize, incoming, kvmDevice, abiFingerprint, newAccel, machine);
    }

    /** Copy with other platform options. */
    public VmConfig withMachine(MachineOptions newMachine) {
        return new VmConfig(name, uuid, memoryBytes, vcpus, cpu, kernel, append, serial, monitor, qmp, startPaused,
                pidfile, daemonize, incoming, kvmDevice, abiFingerprint, accel, newMachine);
    }

    /**
     * The KVM device by the rule every part of jkvm follows (engine, driver, tests): the system property
     * {@code jkvm.kvm.device}, else the environment variable {@value #KVM_DEVICE_ENV}, else {@code /dev/kvm}. A
     * missing path means "no KVM here": the default accelerator list then runs the software CPU.
     */
    public static Path defaultKvmDevice() {
        String prop = System.getProperty("jkvm.kvm.device");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv(KVM_DEVICE_ENV);
        return env == null || env.isBlank() ? DEFAULT_KVM_DEVICE : Path.of(env);
    }
}
