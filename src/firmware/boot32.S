/*
 * jkvm-fw32, the 32-bit build of the guest firmware: the multiboot v1 header and the entry.
 *
 * A multiboot loader (QEMU -kernel, the jkvm engine's multiboot path) enters entry32 in 32-bit protected mode
 * with paging off, flat segments, EAX = 0x2BADB002 and EBX = the multiboot information. We clear .bss, set a
 * 16 KiB stack and call fw_main(magic, mbi) with both as 64-bit arguments (the C is shared with the long-mode
 * build). No paging, no interrupts, no IDT: everything is polled, as in the 64-bit build.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003          /* bit 0: page-align modules, bit 1: memory information wanted */

    .section .boot, "ax"
    .code32
    .align 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .globl entry32
entry32:
    cli
    cld
    mov %eax, %ebp                   /* multiboot magic */
    mov $__bss_start, %edi           /* EBX (the information) is left alone below */
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    mov $boot_stack_top, %esp
    push $0                          /* fw_main(u64 magic, u64 mbi): mbi's high half, */
    push %ebx                        /* its low half, */
    push $0                          /* the magic's high half, */
    push %ebp                        /* its low half */
    call fw_main
1:  cli
    hlt
    jmp 1b

    .section .bss
    .align 16
boot_stack:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
