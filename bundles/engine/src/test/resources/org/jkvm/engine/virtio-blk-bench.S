# A 64-bit polling guest for VirtioBlkBench: sets up the virtio-blk function in slot SLOT as virtio-blk.S does, then
# makes COUNT requests of SIZE bytes (IN when WRITE is 0, OUT when 1) at consecutive offsets that wrap at SPAN
# bytes, one at a time (queue depth 1), and exits with 42 through port 0xf4 (any other code: the failed request).
# Memory: descriptors 0x200000, available ring 0x201000, used ring 0x202000, header 0x203000, status 0x205000,
# data 0x400000 (SIZE bytes).
.intel_syntax noprefix
.code64
.include "virtio-pci.inc"
start:
    mov rsp, 0x300000
    VIRTIO_BAR4
    VIRTIO_HELLO
    mov dword ptr [rbx + 0x08], 0
    mov dword ptr [rbx + 0x0c], 0
    mov byte ptr [rbx + 0x14], 0x0b
    VIRTIO_QUEUE0
    mov word ptr [rbx + 0x1c], 1
    mov byte ptr [rbx + 0x14], 0x0f
    # the three descriptors never change: header, data, status
    mov qword ptr [0x200000], 0x203000
    mov dword ptr [0x200008], 16
    mov word ptr [0x20000c], 1
    mov word ptr [0x20000e], 1
    mov qword ptr [0x200010], 0x400000
    mov dword ptr [0x200018], SIZE
    mov word ptr [0x20001c], 1 | (2 * (1 - WRITE))
    mov word ptr [0x20001e], 2
    mov qword ptr [0x200020], 0x205000
    mov dword ptr [0x200028], 1
    mov word ptr [0x20002c], 2
    mov dword ptr [0x203000], WRITE
    xor r12d, r12d              # requests done
    xor r13d, r13d              # byte offset
1:  mov rax, r13
    shr rax, 9
    mov qword ptr [0x203008], rax
    VIRTIO_KICK_WAIT
    mov al, byte ptr [0x205000]
    test al, al
    jnz fail
    add r13, SIZE
    cmp r13, SPAN
    jb 3f
    xor r13d, r13d
3:  inc r12d
    cmp r12d, COUNT
    jb 1b
    mov al, 42
    out 0xf4, al
    hlt
fail:
    mov al, 1
    out 0xf4, al
    hlt
