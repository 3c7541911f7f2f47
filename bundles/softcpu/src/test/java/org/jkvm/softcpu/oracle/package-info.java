/**
 * The instruction oracle (issue 11, acceptance 2): the software CPU compared with the host CPU on generated
 * instruction cases.
 *
 * <pre>
 *   CaseGenerator (seed, index) --&gt; OracleCase --+--&gt; NativeHarness: gcc-built src/test/c/oracle_harness, user
 *        |  one Generator per class            |     space, CPL 3; faults come back as signals
 *        |  CaseBuilder: registers, flags,     +--&gt; BackendRunner: GuestSetup's 64-bit guest through the
 *        |  patches, AddressPlanner, Asm       |     hypervisor seam, CPL 0; faults go through IST1 stubs
 *        v                                     v
 *   OracleRun batches both sides; Comparison checks RIP or the exception (vector, error code, CR2), registers,
 *   the case's defined flags (FlagRules) and the changed data bytes; one report line per difference.
 * </pre>
 *
 * <p>Both sides use the same linear layout ({@link org.jkvm.softcpu.oracle.Layout}): code at 0x100000, data (and
 * the stack) at 0x200000, GS based below the data, nothing mapped around them. A case starts with the registers,
 * RFLAGS and data patches it was generated with and ends at one of its ends (a jump stub on the host, HLT on the
 * guest) or in an exception. Cases are deterministic in (seed, index): a failure line names both, and
 * {@code -Doracle.seed=S -Doracle.first=I -Doracle.cases=1} replays it. {@code -Doracle.cases=5000000} searches
 * deeper. Every bug found keeps a line in {@code src/test/resources/oracle/regressions.txt}.
 *
 * <p>Classes: ALU, MULDIV, SHIFT, BITS, EXT (BMI1/BMI2/ADX/MOVBE where both CPUs have them), MOVE, ATOMIC, COND,
 * STACK, STRING, BRANCH, FAULT, CHAIN (flag producer, flag-preserving instructions, flag consumer) and SMC
 * (stores into the following instruction). What is not compared: flags and results the manuals leave undefined
 * ({@link org.jkvm.softcpu.oracle.FlagRules}), the U bit of #PF error codes (the host runs at CPL 3), and nothing
 * privileged is generated (the host cannot run it; the software CPU's own tests cover paging, IDT delivery, mode
 * switches and system instructions).
 */
package org.jkvm.softcpu.oracle;
