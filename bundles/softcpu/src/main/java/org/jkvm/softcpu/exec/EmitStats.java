package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.ops.Alu;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.EOp;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.MulDiv;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.Shift;
import org.jkvm.softcpu.ops.Unary;

/** What {@link OpEmitter} emitted and how often its slow paths ran, in this JVM (for tests). Thread-safe. */
final class EmitStats {
    /** The op forms emitted so far in this JVM ("Alu.RR ADC 64", "Load 32", ...): tests check each was used. */
    private static final java.util.Set<String> FORMS = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Slow paths of emitted loads and stores run so far in this JVM (misses, crossings, faults). */
    private static final java.util.concurrent.atomic.LongAdder SLOW = new java.util.concurrent.atomic.LongAdder();

    private EmitStats() {
    }

    /** The forms emitted so far in this JVM (a copy). */
    static java.util.Set<String> forms() {
        return java.util.Set.copyOf(FORMS);
    }

    /** Counts one run of an emitted load's or store's slow path. */
    static void slowPath() {
        SLOW.increment();
    }

    /** Slow paths of emitted memory ops run so far in this JVM. */
    static long slowPaths() {
        return SLOW.sum();
    }

    /** Records that {@code op} was emitted. */
    static void emitted(Op op) {
        FORMS.add(form(op));
    }

    private static String form(Op op) {
        String name = op.getClass().getSimpleName();
        String cls = op.getClass().getEnclosingClass() == null ? name
                : op.getClass().getEnclosingClass().getSimpleName() + "." + name;
        if (op instanceof Branch.BranchOp) {
            return cls;
        }
        int s = op instanceof EOp e ? e.size() : op instanceof Mov.RI m ? m.size()
                : ((Unary.IncDecReg) op).size();
        String kind = op instanceof Alu.RR a ? " " + KINDS[a.kind()] : op instanceof Alu.RI a ? " " + KINDS[a.kind()]
                : op instanceof Alu.GE a ? " " + KINDS[a.kind()]
                : op instanceof Unary u ? " " + (u.kind() == Unary.INC ? "INC" : "DEC")
                : op instanceof MulDiv m ? " " + (m.kind() == MulDiv.MUL ? "MUL" : "IMUL")
                : op instanceof Mov.Extend x ? (x.signed() ? " S" : " Z") + (x.isReg() ? "" : " m")
                : op instanceof Shift sh ? " " + SHIFTS[sh.kind()] : "";
        return cls + kind + " " + (8 << s);
    }

    private static final String[] SHIFTS = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};
    private static final String[] KINDS = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST"};
}
