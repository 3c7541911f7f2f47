package org.jkvm.kvm.hv;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmException;
import org.jkvm.kvm.VcpuFd;
import org.jkvm.kvm.VmFd;
import org.jkvm.memory.GuestMemory;

/**
 * The opened {@code /dev/kvm} behind the seam. The supported CPUID and the default TSC frequency are read once.
 * Thread-safe. Closing it closes the system fd; VMs already created keep working.
 */
final class KvmHypervisor implements Hypervisor {
    private final Kvm kvm;
    private volatile List<CpuidEntry> supported;
    private volatile int defaultTscKhz;

    KvmHypervisor(Kvm kvm) {
        this.kvm = kvm;
    }

    @Override
    public Accelerator accelerator() {
        return Accelerator.KVM;
    }

    @Override
    public String description() {
        return "KVM (" + kvm.device() + ", API " + Kvm.API_VERSION + ")";
    }

    @Override
    public List<CpuidEntry> supportedCpuid() {
        List<CpuidEntry> s = supported;
        if (s == null) {
            List<CpuidEntry> out = new ArrayList<>();
            try {
                for (org.jkvm.kvm.CpuidEntry e : kvm.supportedCpuid()) {
                    out.add(KvmConvert.cpuid(e));
                }
            } catch (KvmException e) {
                throw new HypervisorException("KVM cannot report the CPUID it supports: " + e.getMessage(), e);
            }
            s = List.copyOf(out);
            supported = s;
        }
        return s;
    }

    /**
     * {@code KVM_GET_TSC_KHZ} is a vCPU ioctl: a scratch VM with one vCPU answers it once (a vCPU of a real VM
     * reports the same until someone sets it).
     */
    @Override
    public int defaultTscKhz() {
        int khz = defaultTscKhz;
        if (khz == 0) {
            try (VmFd vm = kvm.createVm(); VcpuFd vcpu = vm.createVcpu(0)) {
                khz = vcpu.getTscKhz();
            } catch (KvmException e) {
                throw new HypervisorException("KVM cannot report the TSC frequency: " + e.getMessage(), e);
            }
            defaultTscKhz = khz;
        }
        return khz;
    }

    @Override
    public HvVm createVm(GuestMemory memory) {
        return new KvmVm(kvm, memory);
    }

    @Override
    public void close() {
        kvm.close();
    }
}
