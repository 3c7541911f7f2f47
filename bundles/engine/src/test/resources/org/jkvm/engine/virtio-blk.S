# A 64-bit guest (entered through the jkvm boot header on the loader's identity map) that drives the virtio-blk
# PCI function in slot SLOT by polling, as the firmware's driver will: BAR 4 from configuration space through
# 0xCF8/0xCFC, reset, feature negotiation (VERSION_1, and FLUSH when offered), queue 0 with 8 entries, then four
# requests: OUT sector 1 (512 bytes of 0x5a), FLUSH, IN sector 0 (its first 8 bytes go to COM1), GET_ID (to COM1).
# Exit code 42 on success through debug-exit port 0xf4, else the number of the failed step.
# Memory: descriptors 0x200000, available ring 0x201000, used ring 0x202000, header 0x203000, OUT data 0x204000,
# status 0x205000, IN data 0x206000, id 0x207000, stack below 0x300000.
.intel_syntax noprefix
.code64
.include "virtio-pci.inc"
start:
    mov rsp, 0x300000
    VIRTIO_BAR4
    VIRTIO_HELLO
    # FLUSH only if offered (not with cache=writethrough or directsync, where every write is stable)
    mov dword ptr [rbx + 0x00], 0
    mov ecx, dword ptr [rbx + 0x04]
    and ecx, 0x200
    mov dword ptr [rbx + 0x08], 0
    mov dword ptr [rbx + 0x0c], ecx
    mov byte ptr [rbx + 0x14], 0x0b
    mov al, byte ptr [rbx + 0x14]
    mov r15d, 1
    test al, 8
    jz fail
    VIRTIO_QUEUE0
    mov word ptr [rbx + 0x1c], 1
    mov byte ptr [rbx + 0x14], 0x0f

    mov rdi, 0x204000
    mov al, 0x5a
    mov ecx, 512
    rep stosb
    mov dword ptr [0x203000], 1
    mov qword ptr [0x203008], 1
    mov r8, 0x204000
    mov r9d, 0
    mov r10d, 512
    mov r15d, 2
    call submit
    test al, al
    jnz fail

    mov dword ptr [0x203000], 4
    mov qword ptr [0x203008], 0
    mov r10d, 0
    mov r15d, 3
    call submit
    test al, al
    jnz fail

    mov dword ptr [0x203000], 0
    mov qword ptr [0x203008], 0
    mov r8, 0x206000
    mov r9d, 2
    mov r10d, 512
    mov r15d, 4
    call submit
    test al, al
    jnz fail
    mov rsi, 0x206000
    mov ecx, 8
    call print

    mov dword ptr [0x203000], 8
    mov r8, 0x207000
    mov r9d, 2
    mov r10d, 20
    mov r15d, 5
    call submit
    test al, al
    jnz fail
    mov rsi, 0x207000
    mov ecx, 20
    call print
    mov dx, 0x3f8
    mov al, 10
    out dx, al
    mov al, 42
    out 0xf4, al
    hlt

fail:
    mov eax, r15d
    out 0xf4, al
    hlt

# Prints rcx bytes at rsi to COM1, stopping at a zero byte.
print:
    mov dx, 0x3f8
1:  mov al, byte ptr [rsi]
    test al, al
    jz 2f
    out dx, al
    inc rsi
    dec ecx
    jnz 1b
2:  ret

# Submits the request whose header is at 0x203000: a data descriptor r8/r10 bytes with flags r9 (none when r10 is
# 0), the status byte at 0x205000; waits for the used index to move; returns the status in al.
submit:
    mov byte ptr [0x205000], 0xff
    mov qword ptr [0x200000], 0x203000
    mov dword ptr [0x200008], 16
    mov word ptr [0x20000c], 1
    mov word ptr [0x20000e], 2
    test r10d, r10d
    jz 1f
    mov word ptr [0x20000e], 1
    mov qword ptr [0x200010], r8
    mov dword ptr [0x200018], r10d
    mov eax, r9d
    or eax, 1
    mov word ptr [0x20001c], ax
    mov word ptr [0x20001e], 2
1:  mov qword ptr [0x200020], 0x205000
    mov dword ptr [0x200028], 1
    mov word ptr [0x20002c], 2
    VIRTIO_KICK_WAIT
    mov al, byte ptr [0x205000]
    ret
