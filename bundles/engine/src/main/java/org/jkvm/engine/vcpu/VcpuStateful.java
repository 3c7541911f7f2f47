package org.jkvm.engine.vcpu;

import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/** The vCPU as a migratable component: section {@code cpu}, instance = vCPU index. Runs on the vCPU thread. */
public final class VcpuStateful implements Stateful<VcpuState> {
    private final VcpuRunner runner;
    private final org.jkvm.kvm.VcpuFd vcpu;
    private final int[] msrIndices;

    /**
     * @param runner     the thread that owns the vCPU (state calls are sent to it)
     * @param vcpu       the vCPU
     * @param msrIndices the MSRs to save (KVM_GET_MSR_INDEX_LIST)
     */
    public VcpuStateful(VcpuRunner runner, org.jkvm.kvm.VcpuFd vcpu, int[] msrIndices) {
        this.runner = runner;
        this.vcpu = vcpu;
        this.msrIndices = msrIndices.clone();
    }

    @Override
    public String stateName() {
        return "cpu";
    }

    @Override
    public int stateInstance() {
        return vcpu.id();
    }

    @Override
    public int stateVersion() {
        return VcpuState.VERSION;
    }

    @Override
    public VcpuState saveState() {
        return runner.call(() -> VcpuState.save(vcpu, msrIndices));
    }

    @Override
    public void restoreState(VcpuState state) {
        runner.call(() -> {
            state.restore(vcpu);
            return null;
        });
    }

    @Override
    public void encode(VcpuState state, StateWriter out) {
        state.encode(out);
    }

    @Override
    public VcpuState decode(StateReader in, int version) {
        VcpuState s = VcpuState.decode(in);
        in.expectEnd();
        return s;
    }
}
