/*
 * The instruction oracle's trampoline (x86-64, System V, GNU as).
 *
 * oracle_enter() loads the case's x87/SSE state from the FXSAVE image oracle_fpu_in (FXRSTOR64), then its RFLAGS
 * and all 16 general-purpose registers from oracle_in_regs / oracle_in_flags, and jumps to the case's code
 * (oracle_code_entry). The code ends in one of up to 8 end stubs
 * the harness writes into the code area: "jmp *slot(%rip)" (FF 25 disp32) through an 8-byte-aligned pointer
 * slot, each slot holding oracle_save_K. oracle_save_K records K, stores the 16 registers and RFLAGS in
 * oracle_out_regs / oracle_out_flags and the x87/SSE state in oracle_fpu_out (FXSAVE64), sanitizes RFLAGS (DF=0,
 * AC=0: the C code that follows assumes both) and the FPU (FNINIT, MXCSR 0x1F80: a case may leave exceptions
 * unmasked or the rounding changed) and returns to oracle_enter's caller. Nothing between the case's last instruction and the register stores
 * changes a register or a flag: JMP and MOV leave RFLAGS alone, and RSP is stored before the harness's own
 * stack is touched, so the case may leave RSP anywhere.
 *
 * Register arrays are in instruction-encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15.
 */
        .data
        .balign 16
        .globl oracle_in_regs, oracle_in_flags, oracle_out_regs, oracle_out_flags, oracle_end_index
        .globl oracle_code_entry, oracle_save_table, oracle_fpu_in, oracle_fpu_out
        .balign 16
oracle_fpu_in:      .zero 512
oracle_fpu_out:     .zero 512
oracle_mxcsr_init:  .long 0x1f80
        .balign 16
oracle_in_regs:     .zero 128
oracle_in_flags:    .quad 0x202
oracle_out_regs:    .zero 128
oracle_out_flags:   .quad 0
oracle_end_index:   .quad 0
oracle_code_entry:  .quad 0
oracle_host_rsp:    .quad 0
oracle_save_table:
        .quad oracle_save_0, oracle_save_1, oracle_save_2, oracle_save_3
        .quad oracle_save_4, oracle_save_5, oracle_save_6, oracle_save_7

        .text
        .globl oracle_enter
        .type oracle_enter, @function
/* void oracle_enter(void): runs one case; returns when the case reaches an end stub. */
oracle_enter:
        pushq %rbx
        pushq %rbp
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, oracle_host_rsp(%rip)
        fxrstor64 oracle_fpu_in(%rip)
        /* RFLAGS first: the MOVs below do not change it. */
        pushq oracle_in_flags(%rip)
        popfq
        movq oracle_in_regs+0(%rip), %rax
        movq oracle_in_regs+8(%rip), %rcx
        movq oracle_in_regs+16(%rip), %rdx
        movq oracle_in_regs+24(%rip), %rbx
        movq oracle_in_regs+40(%rip), %rbp
        movq oracle_in_regs+48(%rip), %rsi
        movq oracle_in_regs+56(%rip), %rdi
        movq oracle_in_regs+64(%rip), %r8
        movq oracle_in_regs+72(%rip), %r9
        movq oracle_in_regs+80(%rip), %r10
        movq oracle_in_regs+88(%rip), %r11
        movq oracle_in_regs+96(%rip), %r12
        movq oracle_in_regs+104(%rip), %r13
        movq oracle_in_regs+112(%rip), %r14
        movq oracle_in_regs+120(%rip), %r15
        movq oracle_in_regs+32(%rip), %rsp
        jmp *oracle_code_entry(%rip)
        .size oracle_enter, .-oracle_enter

        .macro SAVE_ENTRY k
        .globl oracle_save_\k
oracle_save_\k:
        movq $\k, oracle_end_index(%rip)
        jmp oracle_save_common
        .endm
        SAVE_ENTRY 0
        SAVE_ENTRY 1
        SAVE_ENTRY 2
        SAVE_ENTRY 3
        SAVE_ENTRY 4
        SAVE_ENTRY 5
        SAVE_ENTRY 6
        SAVE_ENTRY 7

oracle_save_common:
        movq %rax, oracle_out_regs+0(%rip)
        movq %rcx, oracle_out_regs+8(%rip)
        movq %rdx, oracle_out_regs+16(%rip)
        movq %rbx, oracle_out_regs+24(%rip)
        movq %rsp, oracle_out_regs+32(%rip)
        movq %rbp, oracle_out_regs+40(%rip)
        movq %rsi, oracle_out_regs+48(%rip)
        movq %rdi, oracle_out_regs+56(%rip)
        movq %r8, oracle_out_regs+64(%rip)
        movq %r9, oracle_out_regs+72(%rip)
        movq %r10, oracle_out_regs+80(%rip)
        movq %r11, oracle_out_regs+88(%rip)
        movq %r12, oracle_out_regs+96(%rip)
        movq %r13, oracle_out_regs+104(%rip)
        movq %r14, oracle_out_regs+112(%rip)
        movq %r15, oracle_out_regs+120(%rip)
        /* FXSAVE, FNINIT and LDMXCSR leave RFLAGS alone (it is stored below). */
        fxsave64 oracle_fpu_out(%rip)
        fninit
        ldmxcsr oracle_mxcsr_init(%rip)
        movq oracle_host_rsp(%rip), %rsp
        pushfq
        popq oracle_out_flags(%rip)
        pushq $0x202
        popfq
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbp
        popq %rbx
        ret

        .section .note.GNU-stack,"",@progbits
