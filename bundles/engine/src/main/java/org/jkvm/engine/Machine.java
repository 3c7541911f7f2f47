package org.jkvm.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.DebugExit;
import org.jkvm.devices.IgnoredPort;
import org.jkvm.devices.IoBus;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.PowerControl;
import org.jkvm.devices.serial.Serial16550;
import org.jkvm.engine.chardev.SerialBackend;
import org.jkvm.engine.cpu.CpuidResolver;
import org.jkvm.firmware.Firmware;
import org.jkvm.kvm.CpuidEntry;
import org.jkvm.kvm.Dtable;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmCaps;
import org.jkvm.kvm.KvmException;
import org.jkvm.kvm.Regs;
import org.jkvm.kvm.Segment;
import org.jkvm.kvm.Sregs;
import org.jkvm.kvm.VcpuFd;
import org.jkvm.kvm.VmFd;
import org.jkvm.loader.BootRegisters;
import org.jkvm.loader.BootSetup;
import org.jkvm.loader.ElfLoader;
import org.jkvm.loader.LoadedImage;
import org.jkvm.memory.GuestMemoryException;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.memory.MmapGuestMemory;

/**
 * The native parts of one VM, assembled in order (KVM, VM, RAM slots with dirty logging, firmware, vCPU with its
 * CPUID and long-mode registers, devices on the port bus) and closed in reverse order. Every failure becomes an
 * {@link EngineException} with one sentence, after closing what was already opened.
 */
final class Machine implements AutoCloseable {
    /** Where KVM may put the real-mode TSS (3 pages) and identity map (1 page): inside the MMIO hole. */
    static final long TSS_GPA = 0xfeffd000L;
    static final long IDENTITY_MAP_GPA = 0xfeffc000L;
    static final String BUNDLED_NAME = "the bundled " + Firmware.FILE_NAME;

    final VmConfig config;
    final byte[] image;
    final String imageName;
    final List<AutoCloseable> owned = new ArrayList<>();
    final IoBus pio = new IoBus("pio");
    final IoBus mmio = new IoBus("mmio");
    final PowerControl power = new PowerControl();
    Kvm kvm;
    VmFd vm;
    MmapGuestMemory memory;
    VcpuFd vcpu;
    List<CpuidEntry> cpuid;
    int tscKhz;
    int[] msrIndices;
    SerialBackend serialBackend;
    Serial16550 serial;
    DebugExit debugExit;

    Machine(VmConfig config) {
        this.config = config;
        Path kernel = config.kernel();
        this.image = kernel == null ? Firmware.image() : ElfLoader.readFile(kernel);
        this.imageName = kernel == null ? BUNDLED_NAME : kernel.toString();
    }

    /** Opens everything; {@code onDebugExit} receives debug-exit values on the vCPU thread. */
    void build(java.util.function.IntConsumer onDebugExit) {
        try {
            kvm = own(Kvm.open(config.kvmDevice()));
            vm = own(kvm.createVm());
            vm.setTssAddr(TSS_GPA);
            vm.setIdentityMapAddr(IDENTITY_MAP_GPA);
            memory = own(MmapGuestMemory.allocate(config.memoryBytes()));
            for (MemoryRegion r : memory.regions()) {
                vm.setUserMemoryRegion(r.slot(), KvmCaps.KVM_MEM_LOG_DIRTY_PAGES, r.gpa(), r.sizeBytes(), r.hva());
            }
            vcpu = own(vm.createVcpu(0));
            tscKhz = vcpu.getTscKhz();
            cpuid = CpuidResolver.resolve(config.cpu(), kvm.supportedCpuid(), tscKhz);
            vcpu.setCpuid2(cpuid);
            org.slf4j.LoggerFactory.getLogger(Machine.class).debug("CPUID table for -cpu {}: {}", config.cpu(), cpuid);
            msrIndices = kvm.msrIndexList();
            if (config.incoming() == null) {
                // A destination's RAM and registers all come from the stream (and its RAM must start zero):
                // loading the firmware there would only delay the monitors. A reset loads it (systemReset).
                loadFirmware();
            }
            serialBackend = own(SerialBackend.open(config.serial()));
            serial = new Serial16550(IrqLine.NONE, serialBackend);
            debugExit = new DebugExit(onDebugExit);
            pio.register(0x3f8, 8, serial);
            pio.register(DebugExit.PORT, 1, debugExit);
            pio.register(PowerControl.PORT, 1, power);
            pio.register(IgnoredPort.POST_PORT, 1, new IgnoredPort("post"));
        } catch (KvmException e) {
            close();
            String msg = e.getMessage();
            throw new EngineException(msg.startsWith("KVM is not available") ? msg
                    : "cannot set up the VM: " + msg, e);
        } catch (GuestMemoryException e) {
            close();
            throw new EngineException("cannot allocate " + (config.memoryBytes() >> 20) + " MiB of guest RAM: "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** (Re)loads the firmware and sets the long-mode entry registers; on the vCPU's owner thread. */
    void loadFirmware() {
        LoadedImage loaded = ElfLoader.load(image, imageName, memory);
        BootRegisters boot = BootSetup.setUp(memory, loaded, config.append());
        Segment code = new Segment(0, 0xffffffff, boot.codeSel(), 11, 1, 0, 0, 1, 1, 1, 0, 0);
        Segment data = new Segment(0, 0xffffffff, boot.dataSel(), 3, 1, 0, 1, 1, 0, 1, 0, 0);
        Sregs s = vcpu.getSregs().withSegments(code, data)
                .withControl(boot.cr0(), boot.cr3(), boot.cr4(), boot.efer())
                .withTables(new Dtable(boot.gdtBase(), boot.gdtLimit()), new Dtable(0, 0));
        vcpu.setSregs(s);
        Regs r = Regs.atRip(boot.rip());
        vcpu.setRegs(new Regs(0, 0, 0, 0, boot.rsi(), boot.rdi(), boot.rsp(), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                r.rip(), boot.rflags()));
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
