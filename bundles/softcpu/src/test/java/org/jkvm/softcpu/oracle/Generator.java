package org.jkvm.softcpu.oracle;

/** One instruction class of the generator: builds a case into a {@link CaseBuilder}. */
interface Generator {
    /** The class name used in reports and statistics, e.g. {@code ALU}. */
    String name();

    /** Builds one case (instruction bytes, registers, memory, masks, description). */
    void generate(CaseBuilder b);

    /** The text of an r/m operand for descriptions. */
    static String text(Operand o) {
        return o instanceof Operand.Reg r ? r.name() : ((Operand.Mem) o).text();
    }
}
