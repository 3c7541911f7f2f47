/*
 * jkvm guest firmware: headers and the two entry points (docs/contracts.md section 1).
 *
 * entry32: a multiboot v1 loader (QEMU -kernel) enters here in 32-bit protected mode, paging off,
 *          EAX = 0x2BADB002, EBX = multiboot information. We clear .bss, identity map the first 4 GiB with
 *          2 MiB pages (1 GiB pages triple-fault on the host's KVM before CPUID is set), enable PAE, EFER.LME
 *          and paging, load our GDT and jump to 64-bit code.
 * entry64: the jkvm engine enters here already in long mode (its page tables at 0x1000, CS = 0x08),
 *          RDI = 0x2BADB002, RSI = multiboot information, RSP = 0. We clear .bss.
 * Both then set the stack and call fw_main(magic, mbi). Interrupts stay off; there is no IDT and no IRET.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003          /* bit 0: page-align modules, bit 1: memory information wanted */
#define EFER_MSR 0xC0000080
#define EFER_LME 0x100
#define CR4_PAE 0x20
#define CR0_PG_PE 0x80000001
#define PDE_2M 0x83                  /* present, writable, 2 MiB page */
#define PTE_TABLE 0x3                /* present, writable */

    .section .boot, "ax"
    .code32
    .align 8
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .align 8
    .globl jkvm_boot_header
jkvm_boot_header:
    .quad 0x544F4F424D564B4A         /* "JKVMBOOT" */
    .quad entry64
    .long 1                          /* version */
    .long 0                          /* flags */

    .globl entry32
entry32:
    cli
    cld
    mov %eax, %ebp                   /* multiboot magic */
                                     /* EBX (the information) is left alone below */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT, PDPT[0..3] -> four page directories, 2048 entries of 2 MiB = 4 GiB. */
    mov $boot_pdpt, %eax
    or $PTE_TABLE, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $PTE_TABLE, %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $PDE_2M, %eax
    mov %eax, boot_pd(,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 2b

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $EFER_MSR, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG_PE, %eax
    mov %eax, %cr0
    lgdt gdt_descriptor
    ljmp $0x08, $from32

    .code64
from32:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov %ebp, %edi                   /* zero-extends: RDI = magic */
    mov %ebx, %esi                   /* RSI = multiboot information */
    jmp common64

    .globl entry64
entry64:
    cli
    cld
    mov %rdi, %r12
    mov %rsi, %r13
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $3, %ecx
    xor %eax, %eax
    rep stosq
    mov %r12, %rdi
    mov %r13, %rsi
common64:
    mov $boot_stack_top, %esp
    xor %ebp, %ebp
    call fw_main
3:  cli
    hlt
    jmp 3b

    .section .rodata
    .align 8
gdt:
    .quad 0                          /* null */
    .quad 0x00AF9A000000FFFF         /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF         /* 0x10: data */
    .quad 0x00CF9A000000FFFF         /* 0x18: 32-bit code */
gdt_end:
    .align 8
gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .align 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
boot_stack:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
