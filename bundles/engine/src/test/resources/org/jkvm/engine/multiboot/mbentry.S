/* Multiboot v1 probe kernel (MultibootVsQemuTest): entry and header. FLAGS is 0x3 (ELF) or 0x10003 (a.out kludge). */
#ifndef FLAGS
#define FLAGS 0x00000003
#endif
    .section .mbheader, "a"
    .align 4
mb_header:
    .long 0x1BADB002
    .long FLAGS
    .long -(0x1BADB002 + FLAGS)
    .long mb_header
    .long _load_start
    .long _load_end
    .long _bss_end
    .long entry

    .text
    .globl entry
entry:
    mov %eax, entry_regs + 0
    mov %ebx, entry_regs + 4
    mov %esp, entry_regs + 8
    movw %cs, entry_regs + 12
    movw %ds, entry_regs + 16
    movw %es, entry_regs + 20
    movw %fs, entry_regs + 24
    movw %gs, entry_regs + 28
    movw %ss, entry_regs + 32
    mov %cr0, %eax
    mov %eax, entry_regs + 36
    mov %cr4, %eax
    mov %eax, entry_regs + 40
    pushf
    pop %eax
    mov %eax, entry_regs + 44
    sgdt entry_regs + 48
    sidt entry_regs + 56
    mov %ecx, entry_regs + 64
    mov %edx, entry_regs + 68
    mov %esi, entry_regs + 72
    mov %edi, entry_regs + 76
    mov %ebp, entry_regs + 80
    mov $stack_top, %esp
    call probe_main
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
stack:
    .skip 8192
stack_top:

    .section .note.GNU-stack, "", @progbits
