package org.jkvm.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.DebugExit;
import org.jkvm.devices.IgnoredPort;
import org.jkvm.devices.IoBus;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.PlatformControl;
import org.jkvm.devices.PowerControl;
import org.jkvm.devices.acpi.AcpiPm;
import org.jkvm.devices.pci.MsiSink;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.serial.Serial16550;
import org.jkvm.engine.chardev.SerialBackend;
import org.jkvm.engine.cpu.CpuidResolver;
import org.jkvm.engine.disk.Disks;
import org.jkvm.engine.platform.EngineClock;
import org.jkvm.engine.platform.IrqLines;
import org.jkvm.engine.platform.PcDevices;
import org.jkvm.engine.platform.PowerOnState;
import org.jkvm.engine.vcpu.BusOps;
import org.jkvm.firmware.Firmware;
import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.loader.BootRegisters;
import org.jkvm.loader.BootRequest;
import org.jkvm.loader.Images;
import org.jkvm.loader.KernelLoader;
import org.jkvm.loader.LoadedKernel;
import org.jkvm.loader.Module;
import org.jkvm.loader.acpi.AcpiTables;
import org.jkvm.memory.GuestMemoryException;
import org.jkvm.memory.MmapGuestMemory;

/**
 * The native parts of one VM, assembled in order (the backend, RAM, the VM with its dirty-logged RAM, the
 * backend's interrupt controllers and PIT when it has them and {@code -machine kernel-irqchip} allows, the vCPU with
 * its CPUID and TSC, its power-on state for resets, the kernel or firmware and its entry registers, the PC's devices
 * on the port bus with their interrupt lines) and closed in reverse order. Every failure becomes an
 * {@link EngineException} with one sentence, after closing what was already opened.
 */
final class Machine implements AutoCloseable {
    /** IA32_MTRR_DEF_TYPE, its enable bit (E) and the write-back type (Intel SDM vol. 3, 12.11.2.1). */
    private static final int MTRR_DEF_TYPE = 0x2ff;
    private static final long MTRR_ENABLE = 1L << 11;
    private static final long MTRR_TYPE_WB = 6;

    static final String BUNDLED_NAME = "the bundled " + Firmware.FILE_NAME;
    final VmConfig config;
    final byte[] image;
    final String imageName;
    final List<Module> modules;
    final List<AutoCloseable> owned = new ArrayList<>();
    final IoBus pio = new IoBus("pio");
    final IoBus mmio = new IoBus("mmio");
    final PowerControl power = new PowerControl();
    final BusOps ops = new BusOps(pio, mmio);
    Hypervisor hypervisor;
    boolean kvmPresent;
    MmapGuestMemory memory;
    HvVm vm;
    HvVcpu vcpu;
    List<CpuidEntry> cpuid;
    int tscKhz;
    /** The backend's interrupt controllers and PIT, or null (a machine where HLT ends the guest). */
    HvIrqChip irqChip;
    IrqLines irqLines;
    PowerOnState powerOn;
    EngineClock clock;
    /**
     * Held by every asynchronous device event (timer expiries, console input, the power button) and, throughout, by
     * a state save or restore, so that no interrupt line moves between the save of the interrupt controllers and the
     * save of the device that drives it.
     */
    final java.util.concurrent.locks.ReentrantLock deviceEvents = new java.util.concurrent.locks.ReentrantLock();
    SerialBackend serialBackend;
    PcDevices devices;
    Serial16550 serial;
    DebugExit debugExit;
    AcpiPm acpi;
    PciBus pci;
    Disks disks;
    org.jkvm.engine.net.Nics nics;

    Machine(VmConfig config) {
        this.config = config;
        Path kernel = config.kernel();
        this.image = kernel == null ? Firmware.image()
                : Images.read(kernel, "kernel file", "-kernel", KernelLoader.MAX_KERNEL_BYTES);
        this.imageName = kernel == null ? BUNDLED_NAME : kernel.toString();
        this.modules = config.initrd() == null ? List.of() : Module.readAll(config.initrd(),
                QemuOptions.split(config.initrd()));
    }

    /**
     * Opens everything; {@code onDebugExit} receives debug-exit values and {@code platform} the guest's power-off and
     * reset requests, both on the vCPU thread.
     */
    void build(java.util.function.IntConsumer onDebugExit, PlatformControl platform) {
        try {
            Backends.Opened opened = Backends.open(config.accel(), config.kvmDevice());
            hypervisor = own(opened.hypervisor());
            kvmPresent = opened.kvmPresent();
            memory = own(MmapGuestMemory.allocate(config.memoryBytes()));
            vm = own(hypervisor.createVm(memory));
            irqChip = createIrqChip();
            irqLines = new IrqLines(irqChip);
            vcpu = own(vm.createVcpu(0, ops));
            tscKhz = setTsc();
            cpuid = CpuidResolver.resolve(config.cpu(), hypervisor.supportedCpuid(), tscKhz,
                    hypervisor.accelerator());
            vcpu.setCpuid(cpuid);
            org.slf4j.LoggerFactory.getLogger(Machine.class).debug("CPUID table for -cpu {}: {}", config.cpu(), cpuid);
            powerOn = PowerOnState.capture(vcpu, irqChip);
            if (config.incoming() == null) {
                // A destination's RAM and registers all come from the stream (and its RAM must start zero):
                // loading the firmware there would only delay the monitors. A reset loads it (systemReset).
                loadKernel();
            }
            serialBackend = own(SerialBackend.open(config.serial()));
            clock = own(new EngineClock(deviceEvents, vm.guestClock()));
            devices = new PcDevices(pio, irqLines, clock, serialBackend, platform, System.currentTimeMillis() / 1000);
            serial = devices.serial();
            debugExit = new DebugExit(onDebugExit);
            pio.register(DebugExit.PORT, 1, debugExit);
            pio.register(PowerControl.PORT, 1, power);
            pio.register(IgnoredPort.POST_PORT, 1, new IgnoredPort("post"));
            // The PM timer counts guest time (the backend's guest clock, paused with the VM on the software CPU);
            // the SCI is IRQ 9.
            acpi = new AcpiPm(irqLines.line(AcpiTables.SCI_IRQ), clock, platform);
            pio.register(AcpiTables.PM_BASE, AcpiPm.PORTS, acpi);
            buildPci();
        } catch (HypervisorUnavailableException e) {
            close();
            throw new EngineException(e.getMessage(), e);
        } catch (HypervisorException e) {
            close();
            throw new EngineException("cannot set up the VM: " + e.getMessage(), e);
        } catch (GuestMemoryException e) {
            close();
            throw new EngineException("cannot allocate " + (config.memoryBytes() >> 20) + " MiB of guest RAM: "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * PCI bus 0 (the host bridge, mechanism #1 at 0xCF8/0xCFC, the BAR window below 4 GiB) and the disks on it; a
     * migration destination opens its images without locks until the handover. INTx reaches the platform's ISA
     * lines 10 and 11 and MSI-X messages reach the local APICs when the machine has interrupt controllers; without
     * them a driver polls.
     */
    private void buildPci() {
        // MSI-X messages go to the interrupt controllers; without them (kernel-irqchip=off) drivers poll
        HvIrqChip chip = irqChip;
        pci = new PciBus(this::pciIrq, chip == null ? MsiSink.NONE : chip::signalMsi);
        pio.register(PciBus.CONFIG_ADDRESS_PORT, 1, pci.addressPort());
        pio.register(PciBus.CONFIG_DATA_PORT, 4, pci.dataPort());
        mmio.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, pci.mmioWindow());
        // NICs with an explicit slot first, so a disk taking the first free slot never takes theirs
        nics = own(org.jkvm.engine.net.Nics.open(config.net()));
        nics.attach(pci, memory, true);
        disks = own(Disks.open(config.disks(), config.incoming() != null, pci, memory));
        nics.attach(pci, memory, false);
    }

    /** The platform's line for ISA IRQ {@code irq} (10 or 11), which PCI INTx is routed to. */
    private IrqLine pciIrq(int irq) {
        return irqLines.line(irq);
    }

    /**
     * The backend's interrupt controllers, as {@code -machine kernel-irqchip} says: with {@code on} they must exist,
     * with {@code off} they are left out, and by default they are created when the backend has them.
     *
     * @return the chip, or null
     */
    private HvIrqChip createIrqChip() {
        MachineOptions.IrqChip mode = config.machine().irqchip();
        if (mode == MachineOptions.IrqChip.OFF || mode == MachineOptions.IrqChip.AUTO && !vm.irqChipSupported()) {
            return null;
        }
        try {
            return vm.createIrqChip();
        } catch (HypervisorException e) {
            throw new EngineException("-machine kernel-irqchip=on: " + e.getMessage(), e);
        }
    }

    /**
     * A system reset, on the vCPU's owner thread with the vCPU out of the guest: the devices, then the CPU, local
     * APIC, PICs, I/O APIC and PIT as they were created, then the kernel or firmware loaded again, as a PC's reset
     * line and its firmware would. RAM is kept (a reset does not clear it).
     */
    void resetPlatform() {
        devices.reset();
        disks.reset();
        nics.reset();
        power.reset();
        acpi.reset();
        powerOn.apply(vcpu, irqChip);
        loadKernel();
    }

    /**
     * The guest TSC frequency: {@code -cpu ...,tsc-frequency=HZ}, else the backend's default (KVM: the vCPU's
     * {@code KVM_GET_TSC_KHZ}). Two ends of a migration must agree (leaf 0x40000010 is fingerprinted), which is
     * what the option is for when they run on different backends or hosts.
     */
    private int setTsc() {
        int khz = config.cpu().tscKhz();
        if (khz == 0) {
            return vcpu.tscKhz();
        }
        try {
            vcpu.setTscKhz(khz);
        } catch (HypervisorException e) {
            throw new EngineException("-cpu " + config.cpu() + ": " + e.getMessage(), e);
        }
        return khz;
    }

    /**
     * (Re)loads the kernel or firmware with its initrd and the ACPI tables, and sets the entry registers its boot
     * protocol asks for (long mode for the jkvm firmware and Linux's 64-bit entry, 32-bit protected mode without
     * paging for multiboot, PVH and Linux's 32-bit entry); on the vCPU's owner thread.
     *
     * @return what was loaded
     */
    LoadedKernel loadKernel() {
        LoadedKernel k = KernelLoader.load(memory, new BootRequest(image, imageName, modules, config.append(),
                config.vcpus()));
        BootRegisters boot = k.registers();
        SegmentRegister code = boot.longMode() ? SegmentRegister.code64(boot.codeSel())
                : SegmentRegister.flat32(boot.codeSel(), true);
        SegmentRegister data = SegmentRegister.flat32(boot.dataSel(), false);
        // From the reset state, so a system reset also drops the guest's TR, LDT, CR2 and paging.
        SystemRegisters s = SystemRegisters.reset().withSegments(code, data)
                .withControl(boot.cr0(), boot.cr3(), boot.cr4(), boot.efer())
                .withTables(new DescriptorTable(boot.gdtBase(), boot.gdtLimit()),
                        new DescriptorTable(boot.idtBase(), boot.idtLimit()));
        vcpu.setSystemRegisters(s);
        if (config.kernel() != null) {
            // What a PC firmware leaves for the kernel it boots: MTRRs on, write-back by default (Firecracker's
            // and cloud-hypervisor's choice too). Without it Linux reads "MTRRs disabled" and leaves PAT off.
            vcpu.setMsrs(List.of(new Msr(MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB)));
        }
        BootRegisters.Gprs g = boot.gprs();
        vcpu.setRegisters(Registers.builder().rax(g.rax()).rbx(g.rbx()).rcx(g.rcx()).rsi(g.rsi()).rdi(g.rdi())
                .rsp(boot.rsp()).rip(boot.rip()).rflags(boot.rflags()).build());
        org.slf4j.LoggerFactory.getLogger(Machine.class).debug("loaded {}: {}", imageName, k.description());
        return k;
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /** Closes everything opened, newest first; idempotent. */
    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(Machine.class).debug("closing {} failed", owned.get(i), e);
            }
        }
        owned.clear();
    }
}
