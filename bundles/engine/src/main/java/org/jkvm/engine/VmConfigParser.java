package org.jkvm.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import org.jkvm.engine.disk.DiskOptions;
import org.jkvm.hypervisor.Accelerator;

/**
 * Parses a QEMU-style command line into a {@link VmConfig}. Options may start with {@code -} or {@code --}.
 *
 * <pre>
 * -name NAME | guest=NAME       -uuid UUID               -m 256M | 1G | 512 (MiB) | size=1G
 * -smp 1 | cpus=1[,...]         -cpu MODEL[,+f][,-f]     -kernel FILE            -append "k=v ..."
 * -initrd FILE[ ARGS][,FILE[ ARGS]]... (multiboot modules; a Linux or PVH kernel's initrd)
 * -serial file:P | unix:P,server[,nowait] | stdio | null
 * -monitor unix:P,server[,nowait] | stdio | none         -qmp unix:P,server[,nowait]
 * -S   -pidfile FILE   -daemonize   -incoming URI   -kvm-device PATH   -abi-fingerprint STRING
 * -drive file=F,format=raw|qcow2,if=virtio|none,cache=M,readonly=on,id=ID[,serial=S] (repeatable)
 * -device virtio-blk-pci,drive=ID[,addr=SLOT] (repeatable)   -snapshot
 * -netdev tap,id=N[,ifname=IF][,script=no,downscript=no][,br=BR] | bridge,id=N,br=BR (repeatable)
 * -device virtio-net-pci,netdev=N[,mac=MAC][,addr=SLOT][,id=ID] (repeatable)
 * -global migration.announce-{initial,max,rounds,step}=N (repeatable; rounds=0: no announcement)
 * -accel kvm|tcg (repeatable: a fallback list)   -enable-kvm (= -accel kvm)
 * -machine [pc|q35][,accel=kvm:tcg][,kernel-irqchip=on|off]   -no-reboot
 * accepted and ignored: -nographic -nodefaults -no-user-config -display none
 * </pre>
 *
 * Stateless; every error is an {@link EngineException} with one sentence naming the option.
 */
public final class VmConfigParser {
    private static final Set<String> WITH_VALUE = Set.of("name", "uuid", "m", "smp", "cpu", "kernel", "append",
            "initrd", "serial", "monitor", "qmp", "pidfile", "incoming", "kvm-device", "machine", "M", "device",
            "display", "accel", "abi-fingerprint", "drive", "netdev", "global");
    private static final Set<String> FLAGS = Set.of("S", "daemonize", "enable-kvm", "nographic", "nodefaults",
            "no-user-config", "no-reboot", "snapshot");

    private VmConfigParser() {
    }

    /**
     * Parses {@code args}.
     *
     * @throws EngineException naming the unknown, repeated, malformed or unsupported option
     */
    public static VmConfig parse(List<String> args) {
        String name = "jkvm";
        UUID uuid = null;
        long memory = VmConfig.DEFAULT_MEMORY_BYTES;
        int smp = 1;
        CpuSpec cpu = CpuSpec.DEFAULT;
        Path kernel = null;
        String append = "";
        String initrd = null;
        CharDev serial = new CharDev.Null();
        CharDev monitor = null;
        CharDev qmp = null;
        boolean paused = false;
        Path pidfile = null;
        boolean daemonize = false;
        String incoming = null;
        Path kvmDevice = VmConfig.defaultKvmDevice();
        String abi = null;
        List<Accelerator> accel = new ArrayList<>();
        List<Accelerator> machineAccel = new ArrayList<>();
        MachineOptions machine = MachineOptions.DEFAULT;
        Set<String> seen = new HashSet<>();
        List<String> drives = new ArrayList<>();
        List<String> devices = new ArrayList<>();
        List<String> netdevs = new ArrayList<>();
        List<String> netDevices = new ArrayList<>();
        List<String> globals = new ArrayList<>();
        boolean snapshot = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("-") || arg.length() < 2) {
                throw new EngineException("unexpected argument '" + arg + "'; every setting is an option such as "
                        + "-m 256M (see -help)");
            }
            String opt = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            if (FLAGS.contains(opt)) {
                paused |= opt.equals("S");
                daemonize |= opt.equals("daemonize");
                snapshot |= opt.equals("snapshot");
                if (opt.equals("no-reboot")) {
                    machine = machine.withNoReboot(true);
                }
                if (opt.equals("enable-kvm") && !accel.contains(Accelerator.KVM)) {
                    accel.add(Accelerator.KVM); // QEMU: -enable-kvm is -accel kvm
                }
                continue;
            }
            if (!WITH_VALUE.contains(opt)) {
                throw new EngineException("unknown option " + arg + "; run with -help for the supported options");
            }
            if (i + 1 >= args.size()) {
                throw new EngineException("option -" + opt + " needs a value");
            }
            String v = args.get(++i);
            if (!seen.add(opt) && !opt.equals("device") && !opt.equals("accel") && !opt.equals("drive")
                    && !opt.equals("netdev") && !opt.equals("global")) {
                throw new EngineException("option -" + opt + " is given twice; give it once");
            }
            switch (opt) {
                case "name" -> name = parseName(v);
                case "uuid" -> uuid = parseUuid(v);
                case "m" -> memory = parseMemory(v);
                case "smp" -> smp = parseSmp(v);
                case "cpu" -> cpu = CpuSpec.parse(v);
                case "kernel" -> kernel = Path.of(v);
                case "append" -> append = v;
                case "initrd" -> initrd = v;
                case "serial" -> serial = CharDev.parse("-serial", v, true);
                case "monitor" -> monitor = CharDev.parse("-monitor", v, false);
                case "qmp" -> qmp = CharDev.parse("-qmp", v, false);
                case "pidfile" -> pidfile = Path.of(v);
                case "incoming" -> incoming = v;
                case "kvm-device" -> kvmDevice = Path.of(v);
                case "abi-fingerprint" -> abi = v;
                case "machine", "M" -> {
                    machineAccel = parseMachine(v);
                    machine = machine.withIrqchip(parseIrqchip(v));
                }
                case "accel" -> addAccel(accel, parseAccel(v));
                case "display" -> checkDisplay(v);
                case "drive" -> drives.add(v);
                case "device" -> (org.jkvm.engine.net.NetOptions.isNetDevice(v) ? netDevices : devices).add(v);
                case "netdev" -> netdevs.add(v);
                case "global" -> globals.add(v);
                default -> throw new EngineException("-device " + v + " is not supported: this engine has a fixed "
                        + "machine (COM1 16550A, debug-exit 0xf4, power control 0xf5); remove the -device option");
            }
        }
        DiskOptions disks = DiskOptions.parse(drives, devices, snapshot);
        if (monitor instanceof CharDev.Null) {
            monitor = null;
        }
        return VmConfig.builder().name(name).uuid(uuid).memoryBytes(memory).vcpus(smp).cpu(cpu).kernel(kernel)
                .append(append).serial(serial).monitor(monitor).qmp(qmp).startPaused(paused).pidfile(pidfile)
                .daemonize(daemonize).incoming(incoming).kvmDevice(kvmDevice).abiFingerprint(abi)
                .accel(accelerators(accel, machineAccel)).initrd(initrd).machine(machine)
                .disks(disks).net(org.jkvm.engine.net.NetOptions.parse(netdevs, netDevices, diskSlots(disks),
                        globals)).build();
    }

    private static Set<Integer> diskSlots(DiskOptions disks) {
        Set<Integer> s = new HashSet<>();
        disks.disks().stream().filter(d -> d.slot() >= 0).forEach(d -> s.add(d.slot()));
        return s;
    }

    /**
     * A random version-4 UUID for a VM started without {@code -uuid}. It identifies, it protects nothing, so it
     * comes from {@link java.util.concurrent.ThreadLocalRandom}: {@link UUID#randomUUID()} would set up the
     * security providers and a SecureRandom on the start-up path (~35 ms on a cold JVM).
     */
    static UUID randomUuid() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xf000L) | 0x4000L;
        long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(hi, lo);
    }

    /**
     * Parses a QEMU memory size: a number of MiB, or a number with suffix K, M, G or T (optionally followed by
     * {@code B} or {@code iB}), optionally as {@code size=...}.
     *
     * @return bytes
     * @throws EngineException naming the bad value
     */
    public static long parseMemory(String value) {
        String v = value.startsWith("size=") ? value.substring(5) : value;
        String upper = v.toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1L << 20;
        if (!upper.isEmpty()) {
            char last = upper.charAt(upper.length() - 1);
            int shift = switch (last) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> -1;
            };
            if (shift >= 0) {
                unit = 1L << shift;
                upper = upper.substring(0, upper.length() - 1);
            }
        }
        try {
            if (upper.isEmpty() || !upper.chars().allMatch(Character::isDigit) || upper.length() > 12) {
                throw new NumberFormatException(upper);
            }
            long n = Long.parseLong(upper);
            if (n <= 0 || n > Long.MAX_VALUE / unit) {
                throw new NumberFormatException(upper);
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new EngineException("invalid -m value '" + value + "'; give a size like 256M, 1G or 512 (MiB)");
        }
    }

    private static String parseName(String v) {
        String n = v;
        for (String part : v.split(",")) {
            if (part.startsWith("guest=")) {
                n = part.substring(6);
            } else if (!part.contains("=")) {
                n = part;
            }
        }
        if (n.isEmpty() || n.contains("=")) {
            throw new EngineException("invalid -name value '" + v + "'; give a name or guest=NAME");
        }
        return n;
    }

    private static UUID parseUuid(String v) {
        if (!v.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new EngineException("invalid -uuid value '" + v + "'; give a UUID such as "
                    + "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
        }
        return UUID.fromString(v);
    }

    private static int parseSmp(String v) {
        int cpus = -1;
        for (String part : v.split(",")) {
            String[] kv = part.split("=", 2);
            String num = kv.length == 1 ? kv[0] : kv[1];
            if (!num.matches("[0-9]{1,4}")) {
                throw new EngineException("invalid -smp value '" + v + "'; give -smp 1");
            }
            int n = Integer.parseInt(num);
            if (kv.length == 1 || kv[0].equals("cpus")) {
                cpus = n;
            } else if (kv[0].equals("maxcpus") || kv[0].equals("sockets") || kv[0].equals("cores")
                    || kv[0].equals("threads") || kv[0].equals("dies")) {
                if (n != 1) {
                    throw new EngineException("-smp " + v + " is not supported: this engine runs exactly one vCPU; "
                            + "use -smp 1");
                }
            } else {
                throw new EngineException("invalid -smp value '" + v + "': unknown key '" + kv[0] + "'");
            }
        }
        return cpus < 0 ? 1 : cpus;
    }

    /** Checks the machine type and returns the {@code accel=} list (QEMU's colon-separated fallback order). */
    private static List<Accelerator> parseMachine(String v) {
        List<Accelerator> accel = new ArrayList<>();
        for (String part : v.split(",")) {
            if (part.startsWith("accel=")) {
                for (String name : part.substring(6).split(":", -1)) {
                    addAccel(accel, accelerator("-machine " + v, name));
                }
                continue;
            }
            if (part.startsWith("kernel-irqchip=")) {
                continue; // parseIrqchip
            }
            boolean ok = part.equals("pc") || part.equals("q35") || part.equals("type=pc") || part.equals("type=q35")
                    || part.startsWith("pc-") || part.equals("type=jkvm") || part.equals("jkvm");
            if (!ok) {
                throw new EngineException("-machine " + v + " is not supported (at '" + part + "'): this engine "
                        + "has one fixed x86 machine; use -machine pc[,accel=kvm:tcg] or omit the option");
            }
        }
        return accel;
    }

    /**
     * The {@code kernel-irqchip=} property of {@code -machine}: {@code on} requires the backend's interrupt
     * controllers, {@code off} leaves them out, absent means when the backend has them. QEMU's {@code split} (the
     * local APICs in the kernel, the rest in user space) is not offered.
     */
    static MachineOptions.IrqChip parseIrqchip(String v) {
        MachineOptions.IrqChip mode = MachineOptions.IrqChip.AUTO;
        for (String part : v.split(",")) {
            if (part.startsWith("kernel-irqchip=")) {
                String value = part.substring("kernel-irqchip=".length());
                mode = switch (value) {
                    case "on", "true", "yes" -> MachineOptions.IrqChip.ON;
                    case "off", "false", "no" -> MachineOptions.IrqChip.OFF;
                    default -> throw new EngineException("-machine " + v + ": kernel-irqchip=" + value + " is not "
                            + "supported; give kernel-irqchip=on or kernel-irqchip=off");
                };
            }
        }
        return mode;
    }

    /** {@code -accel NAME}: QEMU also takes properties after the name; this engine takes none. */
    static Accelerator parseAccel(String v) {
        if (v.contains(",")) {
            throw new EngineException("-accel " + v + " is not supported: this engine takes no accelerator "
                    + "properties; give -accel kvm or -accel tcg");
        }
        return accelerator("-accel " + v, v);
    }

    private static Accelerator accelerator(String option, String name) {
        for (Accelerator a : Accelerator.values()) {
            if (a.optionName().equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new EngineException(option + " is not supported: this engine runs on kvm (Linux KVM) or tcg (its "
                + "software CPU); give one of them");
    }

    private static void addAccel(List<Accelerator> list, Accelerator a) {
        if (!list.contains(a)) {
            list.add(a);
        }
    }

    /**
     * The accelerators of {@code -accel}/{@code -enable-kvm} or of {@code -machine accel=}: QEMU refuses the two
     * forms together; this engine takes both when they say the same.
     */
    private static List<Accelerator> accelerators(List<Accelerator> accel, List<Accelerator> machine) {
        if (!accel.isEmpty() && !machine.isEmpty() && !accel.equals(machine)) {
            throw new EngineException("-accel (or -enable-kvm) and -machine accel= name different accelerators ("
                    + names(accel) + " and " + names(machine) + "); give one of them");
        }
        return accel.isEmpty() ? machine : accel;
    }

    private static String names(List<Accelerator> list) {
        List<String> out = new ArrayList<>();
        for (Accelerator a : list) {
            out.add(a.optionName());
        }
        return String.join(":", out);
    }

    private static void checkDisplay(String v) {
        if (!v.equals("none")) {
            throw new EngineException("-display " + v + " is not supported: the engine has no display; use "
                    + "-display none or omit it");
        }
    }
}
