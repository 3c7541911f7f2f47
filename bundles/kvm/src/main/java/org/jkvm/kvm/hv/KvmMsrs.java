package org.jkvm.kvm.hv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.kvm.MsrEntry;
import org.jkvm.kvm.VcpuFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saving and restoring the MSRs of {@code KVM_GET_MSR_INDEX_LIST} (the migration set, IA32_TSC among them) on a
 * host whose KVM does not take all of them: kvm_pvm, for one, lists paravirtual MSRs it then refuses. Both
 * {@code KVM_GET_MSRS} and {@code KVM_SET_MSRS} stop at the first MSR they refuse, so the refused ones are skipped
 * one at a time. Stateless; the caller owns the vCPU thread.
 */
final class KvmMsrs {
    private static final Logger LOG = LoggerFactory.getLogger(KvmMsrs.class);

    private KvmMsrs() {
    }

    /** Reads every MSR of {@code indices} the kernel can read, in order, skipping the others. */
    static List<Msr> read(VcpuFd vcpu, int[] indices) {
        List<Msr> msrs = new ArrayList<>(indices.length);
        int from = 0;
        while (from < indices.length) {
            List<MsrEntry> got = vcpu.getMsrs(Arrays.copyOfRange(indices, from, indices.length));
            for (MsrEntry e : got) {
                msrs.add(KvmConvert.msr(e));
            }
            from += got.size() + 1; // skip the MSR the kernel stopped at
        }
        return msrs;
    }

    /**
     * Writes every MSR the kernel takes; the ones it refuses (MSRs of another backend or host, or paravirtual ones
     * it lists but does not take) are skipped and logged at debug level.
     *
     * @return the indices of the refused MSRs
     */
    static List<Integer> write(VcpuFd vcpu, List<Msr> msrs) {
        List<MsrEntry> entries = new ArrayList<>(msrs.size());
        for (Msr m : msrs) {
            entries.add(KvmConvert.msrEntry(m));
        }
        List<Integer> refused = new ArrayList<>();
        int from = 0;
        while (from < entries.size()) {
            int n = vcpu.trySetMsrs(entries.subList(from, entries.size()));
            from += n;
            if (from < entries.size()) {
                refused.add(entries.get(from).index());
                from++; // the kernel stopped at this one
            }
        }
        if (!refused.isEmpty()) {
            LOG.debug("KVM refused MSRs {}; skipped", hex(refused));
        }
        return refused;
    }

    private static List<String> hex(List<Integer> indices) {
        List<String> out = new ArrayList<>(indices.size());
        for (int i : indices) {
            out.add("0x" + Integer.toHexString(i));
        }
        return out;
    }
}
