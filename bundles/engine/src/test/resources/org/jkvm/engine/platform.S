# A 64-bit guest that takes the PC's interrupts through the I/O APIC and its local APIC, as Linux does:
# the PIT (IRQ 0 = GSI 0 = I/O APIC pin 2, vector 0x30, 100 Hz), COM1's received data (IRQ 4, vector 0x34; each
# byte echoed) and the RTC's periodic interrupt (IRQ 8, vector 0x38, 128 Hz). The 8259As are masked. Position
# independent: loaded anywhere by jkvm's long-mode entry. Prints "ready" when COM1 takes input, then waits with
# STI; HLT until it has had 100 PIT ticks, 20 RTC interrupts and 3 received bytes, prints
# "pit=... rtc=... rx=..." style counts ("done") and writes 0x21 to the debug-exit port. Any other vector writes
# 0xee there. Built with: as --64 platform.S -o p.o && ld -Ttext 0 --oformat binary p.o -o platform.bin
    .code64
    .globl _start
_start:
    cli
    mov $0x80000, %rsp
    lea fault(%rip), %rax
    xor %edi, %edi
1:  call set_gate
    inc %edi
    cmp $256, %edi
    jb 1b
    lea pit_isr(%rip), %rax
    mov $0x30, %edi
    call set_gate
    lea ser_isr(%rip), %rax
    mov $0x34, %edi
    call set_gate
    lea rtc_isr(%rip), %rax
    mov $0x38, %edi
    call set_gate
    lea spurious(%rip), %rax
    mov $0xff, %edi
    call set_gate
    lidt idtr(%rip)
    mov $0xff, %al              # mask both 8259As
    out %al, $0x21
    out %al, $0xa1
    mov $0xfee00000, %ebx       # local APIC: enabled, spurious vector 0xff, LINT0 masked, TPR 0
    movl $0x1ff, 0xf0(%rbx)
    movl $0x10000, 0x350(%rbx)
    movl $0, 0x80(%rbx)
    mov $0xfec00000, %esi       # I/O APIC: edge, active high, fixed, physical destination 0
    mov $0x14, %edx             # pin 2 (the PIT)
    mov $0x30, %eax
    call ioapic
    mov $0x18, %edx             # pin 4 (COM1)
    mov $0x34, %eax
    call ioapic
    mov $0x20, %edx             # pin 8 (RTC)
    mov $0x38, %eax
    call ioapic
    mov $0x34, %al              # PIT channel 0: mode 2, 11932 = 100 Hz
    out %al, $0x43
    mov $11932, %ax
    out %al, $0x40
    mov %ah, %al
    out %al, $0x40
    mov $0x0a, %al              # RTC: A = 32.768 kHz, rate 9 (128 Hz); B = PIE, 24 h, BCD; clear C
    out %al, $0x70
    mov $0x29, %al
    out %al, $0x71
    mov $0x0b, %al
    out %al, $0x70
    mov $0x42, %al
    out %al, $0x71
    mov $0x0c, %al
    out %al, $0x70
    in $0x71, %al
    mov $0x3fb, %dx             # COM1: 115200 8N1, FIFO (trigger 1, cleared), DTR RTS OUT2, IER = received data
    mov $0x83, %al
    out %al, %dx
    mov $0x3f8, %dx
    mov $1, %al
    out %al, %dx
    inc %dx
    xor %al, %al
    out %al, %dx
    mov $0x3fb, %dx
    mov $0x03, %al
    out %al, %dx
    mov $0x3fa, %dx
    mov $0x07, %al
    out %al, %dx
    mov $0x3fc, %dx
    mov $0x0b, %al
    out %al, %dx
    mov $0x3f9, %dx
    mov $0x01, %al
    out %al, %dx
    lea ready(%rip), %rsi
    call puts
    sti
wait:
    hlt
    cmpl $100, pit(%rip)
    jb wait
    cmpl $20, rtc(%rip)
    jb wait
    cmpl $3, rx(%rip)
    jb wait
    cli
    lea done(%rip), %rsi
    call puts
    mov $0x21, %al
    out %al, $0xf4
    jmp .

pit_isr:
    incl pit(%rip)
    jmp eoi
rtc_isr:
    push %rax
    mov $0x0c, %al              # reading C acknowledges the RTC
    out %al, $0x70
    in $0x71, %al
    pop %rax
    incl rtc(%rip)
    jmp eoi
ser_isr:
    push %rax
    push %rdx
2:  mov $0x3fd, %dx             # while LSR.DR: read RBR, echo it
    in %dx, %al
    test $1, %al
    jz 3f
    mov $0x3f8, %dx
    in %dx, %al
    out %al, %dx
    incl rx(%rip)
    jmp 2b
3:  pop %rdx
    pop %rax
eoi:
    push %rbx
    mov $0xfee00000, %ebx
    movl $0, 0xb0(%rbx)
    pop %rbx
spurious:
    iretq

fault:
    mov $0xee, %al
    out %al, $0xf4
    jmp .

# rax = handler, edi = vector: a present 64-bit interrupt gate at 0x70000 + 16 * vector, selector 0x08
set_gate:
    push %rcx
    mov %edi, %ecx
    shl $4, %ecx
    add $0x70000, %ecx
    mov %ax, (%rcx)
    movw $0x08, 2(%rcx)
    movw $0x8e00, 4(%rcx)
    push %rax
    shr $16, %rax
    mov %ax, 6(%rcx)
    shr $16, %rax
    mov %eax, 8(%rcx)
    movl $0, 12(%rcx)
    pop %rax
    pop %rcx
    ret

# edx = IOREDTBL low register, eax = its value (the high word, destination 0, stays 0)
ioapic:
    mov %edx, (%rsi)
    mov %eax, 0x10(%rsi)
    ret

# rsi = NUL-terminated string to COM1 (THR is always empty on jkvm's UART; LSR is polled anyway)
puts:
    push %rax
    push %rdx
4:  lodsb
    test %al, %al
    jz 6f
    mov %al, %ah
    mov $0x3fd, %dx
5:  in %dx, %al
    test $0x20, %al
    jz 5b
    mov $0x3f8, %dx
    mov %ah, %al
    out %al, %dx
    jmp 4b
6:  pop %rdx
    pop %rax
    ret

    .align 8
idtr:
    .word 4095
    .quad 0x70000
pit:
    .long 0
rtc:
    .long 0
rx:
    .long 0
ready:
    .asciz "ready\n"
done:
    .asciz "done\n"
