package org.jkvm.engine.vcpu;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/**
 * The vCPU as a migratable component: section {@code cpu}, instance = vCPU index, version 2 (the architectural
 * state, {@link CpuStateCodec}); version 1 (KVM's structures, {@link CpuStateV1}) still loads. State calls run on
 * the vCPU's own thread, or on the caller's while paused where the backend allows it ({@link VcpuRunner#callState}).
 */
public final class VcpuStateful implements Stateful<CpuState> {
    private final VcpuRunner runner;
    private final HvVcpu vcpu;

    /**
     * @param runner the thread that owns the vCPU (state calls are sent to it)
     * @param vcpu   the vCPU
     */
    public VcpuStateful(VcpuRunner runner, HvVcpu vcpu) {
        this.runner = runner;
        this.vcpu = vcpu;
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
        return CpuStateCodec.VERSION;
    }

    @Override
    public int stateMinVersion() {
        return CpuStateV1.VERSION;
    }

    @Override
    public CpuState saveState() {
        return runner.callState(vcpu::saveState);
    }

    @Override
    public void restoreState(CpuState state) {
        runner.callState(() -> {
            vcpu.restoreState(state);
            return null;
        });
    }

    @Override
    public void encode(CpuState state, StateWriter out) {
        CpuStateCodec.encode(state, out);
    }

    @Override
    public CpuState decode(StateReader in, int version) {
        CpuState s = version == CpuStateV1.VERSION ? CpuStateV1.decode(in) : CpuStateCodec.decode(in);
        in.expectEnd();
        return s;
    }
}
