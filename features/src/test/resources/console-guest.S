# A console guest for the libvirt tests (ConsoleShutdownTest): entered in 64-bit mode with interrupts off, it
# polls COM1 and the ACPI PM device. Typed letters are echoed in upper case; the power button (PWRBTN_STS in
# PM1_STS) makes it say so and enter S5 (SLP_TYP 5 | SLP_EN in PM1_CNT).
# Build: as --64 -o console.o console-guest.S && ld -e 0 -Ttext 0 --oformat binary -o console.bin console.o
# (ConsoleShutdownTest.CODE holds the bytes, behind the jkvm boot header.)
.code64
start:
    mov $0x80000, %rsp
    lea ready(%rip), %rsi
    call puts
poll:
    mov $0x3fd, %dx
    in %dx, %al
    test $1, %al
    jz button
    mov $0x3f8, %dx
    in %dx, %al
    cmp $'a', %al
    jb echo
    cmp $'z', %al
    ja echo
    sub $0x20, %al
echo:
    call putc
    jmp poll
button:
    mov $0x600, %dx
    in %dx, %ax
    test $0x100, %ax
    jnz off
    pause
    jmp poll
off:
    mov $0x100, %ax
    out %ax, %dx
    lea bye(%rip), %rsi
    call puts
    mov $0x604, %dx
    mov $0x3400, %ax
    out %ax, %dx
1:  pause
    jmp 1b
# putc: %al to COM1 once THR is empty
putc:
    mov %al, %ah
    mov $0x3fd, %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $0x3f8, %dx
    mov %ah, %al
    out %al, %dx
    ret
# puts: the NUL-terminated string at %rsi
puts:
    lodsb
    test %al, %al
    jz 3f
    call putc
    jmp puts
3:  ret
ready: .asciz "console guest ready\n"
bye: .asciz "power button: S5\n"
