package org.jkvm.hypervisor.x86;

/**
 * One CPUID leaf as the guest sees it.
 *
 * @param function the leaf (EAX input)
 * @param index    the sub-leaf (ECX input); meaningful only when {@code indexed}
 * @param indexed  whether the output depends on the sub-leaf
 * @param eax      EAX output
 * @param ebx      EBX output
 * @param ecx      ECX output
 * @param edx      EDX output
 */
public record CpuidEntry(int function, int index, boolean indexed, int eax, int ebx, int ecx, int edx) {
    /** Copy with other outputs. */
    public CpuidEntry withOutputs(int newEax, int newEbx, int newEcx, int newEdx) {
        return new CpuidEntry(function, index, indexed, newEax, newEbx, newEcx, newEdx);
    }

    /** Whether this entry answers CPUID with EAX = {@code leaf}, ECX = {@code subleaf}. */
    public boolean matches(int leaf, int subleaf) {
        return function == leaf && (!indexed || index == subleaf);
    }

    @Override
    public String toString() {
        return String.format("CpuidEntry[0x%08x.%d%s: %08x %08x %08x %08x]", function, index, indexed ? "*" : "",
                eax, ebx, ecx, edx);
    }
}
