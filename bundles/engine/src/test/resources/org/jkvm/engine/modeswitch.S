# A guest that switches between real mode and 32-bit protected mode forever, loaded at 0x1000 and entered in
# real mode (CS base 0). Each lap: real-mode counter [0x5000] += 1, PE on, far jump to 32-bit code, protected
# counter [0x5004] += 1, far jump to 16-bit protected code, PE off, far jump back to real mode, check that both
# counters are equal (else OUT to port 0x99 and HLT), every 256 laps OUT the lap count to port 0x98.
        .code16
        .org 0
start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %ss
        movw $0x4000, %sp
        lgdtl gdt_desc + 0x1000
lap:
        incl 0x5000
        movl %cr0, %eax
        orb $1, %al
        movl %eax, %cr0
        ljmpl $0x08, $(pm32 + 0x1000)
        .code32
pm32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %ss
        incl 0x5004
        ljmp $0x18, $(pm16 + 0x1000)
        .code16
pm16:
        movw $0x20, %ax
        movw %ax, %ds
        movw %ax, %ss
        movl %cr0, %eax
        andb $0xfe, %al
        movl %eax, %cr0
        ljmp $0x0000, $(real + 0x1000)
real:
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %ss
        movl 0x5000, %eax
        cmpl 0x5004, %eax
        jne fail
        testb $0xff, %al
        jnz lap
        outb %al, $0x98
        jmp lap
fail:
        outb %al, $0x99
        hlt
        jmp fail
        .p2align 3
gdt:
        .quad 0
        .quad 0x00cf9a000000ffff   # 0x08 32-bit code, flat
        .quad 0x00cf92000000ffff   # 0x10 32-bit data, flat
        .quad 0x00009a000000ffff   # 0x18 16-bit code, base 0, limit 64 KiB
        .quad 0x000092000000ffff   # 0x20 16-bit data, base 0, limit 64 KiB
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt + 0x1000
