package org.jkvm.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import org.jkvm.engine.disk.DiskOptions;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.X86Layout;

/**
 * The whole configuration of one engine process, validated once at construction (Aeron's {@code conclude()}):
 * everything later code reads is known to be consistent. Built from a QEMU-style command line by
 * {@link VmConfigParser}; in code with {@link #builder()}, which names every setting.
 *
 * @param name        the VM name ({@code -name})
 * @param uuid        the VM UUID ({@code -uuid}), random when not given
 * @param memoryBytes guest RAM in bytes ({@code -m}), a multiple of 1 MiB
 * @param vcpus       number of vCPUs ({@code -smp}); only 1 is supported
 * @param cpu         the CPU model and feature changes ({@code -cpu})
 * @param kernel      the kernel ({@code -kernel}: a Linux bzImage, a PVH ELF, a multiboot kernel or a jkvm
 *                    firmware image), or null for the bundled firmware
 * @param append      the kernel or firmware command line ({@code -append})
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
 * @param initrd      the {@code -initrd} value as given (files separated by commas, multiboot modules with their
 *                    arguments), or null
 * @param machine     the platform's options ({@code -machine kernel-irqchip=}, {@code -no-reboot})
 * @param disks       the disks ({@code -drive}, {@code -device virtio-blk-pci}, {@code -snapshot})
 * @param net         the NICs ({@code -netdev}, {@code -device virtio-net-pci})
 */
public record VmConfig(String name, UUID uuid, long memoryBytes, int vcpus, CpuSpec cpu, Path kernel, String append,
        CharDev serial, CharDev monitor, CharDev qmp, boolean startPaused, Path pidfile, boolean daemonize,
        String incoming, Path kvmDevice, String abiFingerprint, List<Accelerator> accel, String initrd,
        MachineOptions machine, DiskOptions disks, org.jkvm.engine.net.NetOptions net) {
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
        Objects.requireNonNull(disks, "disks");
        Objects.requireNonNull(net, "net");
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
        if (initrd != null && kernel == null) {
            throw new EngineException("-initrd needs -kernel: the bundled firmware takes no initrd; add -kernel with "
                    + "a Linux, PVH or multiboot kernel");
        }
    }

    /**
     * A builder with every default: name {@code jkvm}, a random UUID, {@link #DEFAULT_MEMORY_BYTES}, one vCPU,
     * {@link CpuSpec#DEFAULT}, the bundled firmware with an empty command line, serial output discarded, no monitors,
     * running at once, the KVM device of {@link #defaultKvmDevice()} and the default accelerators. The only way to
     * make a configuration in code: every setting is named (the record's constructor is positional).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's settings, to change some (tests run one guest on each backend). */
    public Builder toBuilder() {
        return new Builder().name(name).uuid(uuid).memoryBytes(memoryBytes).vcpus(vcpus).cpu(cpu).kernel(kernel)
                .append(append).serial(serial).monitor(monitor).qmp(qmp).startPaused(startPaused).pidfile(pidfile)
                .daemonize(daemonize).incoming(incoming).kvmDevice(kvmDevice).abiFingerprint(abiFingerprint)
                .accel(accel).initrd(initrd).machine(machine).disks(disks).net(net);
    }

    /** A configuration with every default and the given RAM size, for tests and embedding. */
    public static VmConfig defaults(long memoryBytes) {
        return builder().memoryBytes(memoryBytes).build();
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

    /**
     * Collects the settings of a {@link VmConfig} by name; {@link #build()} validates them (the record's constructor
     * does). Each setter takes the value as the record component of the same name documents it. Not thread-safe;
     * one per configuration.
     */
    public static final class Builder {
        private String name = "jkvm";
        private UUID uuid;
        private long memoryBytes = DEFAULT_MEMORY_BYTES;
        private int vcpus = 1;
        private CpuSpec cpu = CpuSpec.DEFAULT;
        private Path kernel;
        private String append = "";
        private CharDev serial = new CharDev.Null();
        private CharDev monitor;
        private CharDev qmp;
        private boolean startPaused;
        private Path pidfile;
        private boolean daemonize;
        private String incoming;
        private Path kvmDevice;
        private String abiFingerprint;
        private List<Accelerator> accel = List.of();
        private String initrd;
        private MachineOptions machine = MachineOptions.DEFAULT;
        private DiskOptions disks = DiskOptions.NONE;
        private org.jkvm.engine.net.NetOptions net = org.jkvm.engine.net.NetOptions.NONE;

        private Builder() {
        }

        /** {@code -name}. */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /** {@code -uuid}; null (the default) picks a random one at {@link #build()}. */
        public Builder uuid(UUID v) {
            uuid = v;
            return this;
        }

        /** {@code -m}, in bytes. */
        public Builder memoryBytes(long v) {
            memoryBytes = v;
            return this;
        }

        /** {@code -smp}. */
        public Builder vcpus(int v) {
            vcpus = v;
            return this;
        }

        /** {@code -cpu}. */
        public Builder cpu(CpuSpec v) {
            cpu = v;
            return this;
        }

        /** {@code -kernel}; null for the bundled firmware. */
        public Builder kernel(Path v) {
            kernel = v;
            return this;
        }

        /** {@code -append}. */
        public Builder append(String v) {
            append = v;
            return this;
        }

        /** {@code -serial}. */
        public Builder serial(CharDev v) {
            serial = v;
            return this;
        }

        /** {@code -monitor}, or null. */
        public Builder monitor(CharDev v) {
            monitor = v;
            return this;
        }

        /** {@code -qmp}, or null. */
        public Builder qmp(CharDev v) {
            qmp = v;
            return this;
        }

        /** {@code -S}. */
        public Builder startPaused(boolean v) {
            startPaused = v;
            return this;
        }

        /** {@code -pidfile}, or null. */
        public Builder pidfile(Path v) {
            pidfile = v;
            return this;
        }

        /** {@code -daemonize}. */
        public Builder daemonize(boolean v) {
            daemonize = v;
            return this;
        }

        /** {@code -incoming}, or null. */
        public Builder incoming(String v) {
            incoming = v;
            return this;
        }

        /** {@code -kvm-device}; null (the default) means {@link VmConfig#defaultKvmDevice()} at {@link #build()}. */
        public Builder kvmDevice(Path v) {
            kvmDevice = v;
            return this;
        }

        /** {@code -abi-fingerprint}, or null. */
        public Builder abiFingerprint(String v) {
            abiFingerprint = v;
            return this;
        }

        /** {@code -accel} and its aliases, in order; empty for the default. */
        public Builder accel(List<Accelerator> v) {
            accel = v;
            return this;
        }

        /** {@code -initrd} as given (comma-separated files), or null. */
        public Builder initrd(String v) {
            initrd = v;
            return this;
        }

        /** {@code -machine kernel-irqchip=} and {@code -no-reboot}. */
        public Builder machine(MachineOptions v) {
            machine = v;
            return this;
        }

        /** {@code -drive}, {@code -device virtio-blk-pci} and {@code -snapshot}. */
        public Builder disks(DiskOptions v) {
            disks = v;
            return this;
        }

        /** {@code -netdev} and {@code -device virtio-net-pci}. */
        public Builder net(org.jkvm.engine.net.NetOptions v) {
            net = v;
            return this;
        }

        /**
         * The configuration.
         *
         * @throws EngineException naming the first bad setting
         */
        public VmConfig build() {
            return new VmConfig(name, uuid == null ? VmConfigParser.randomUuid() : uuid, memoryBytes, vcpus, cpu,
                    kernel, append, serial, monitor, qmp, startPaused, pidfile, daemonize, incoming,
                    kvmDevice == null ? defaultKvmDevice() : kvmDevice, abiFingerprint, accel, initrd, machine,
                    disks, net);
        }
    }
}
