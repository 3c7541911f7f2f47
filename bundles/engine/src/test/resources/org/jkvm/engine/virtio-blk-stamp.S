# A 64-bit polling guest for DiskMigrationTest: sets up the virtio-blk function in slot SLOT as virtio-blk.S does,
# then forever walks sectors 0 .. SECTORS-1 (wrapping): reads the sector and checks the stamp it last wrote there
# (the table in its RAM; zero for a sector not yet written), then writes a new stamp (sequence number at bytes 0
# and 504, the sector number at byte 8) and records it. A wrong stamp exits with 3 through port 0xf4, a failed
# request with 1 (read) or 2 (write). The host reads the sequence number of the last completed write at SEQ.
# Memory: descriptors 0x200000, available ring 0x201000, used ring 0x202000, header 0x203000, status 0x205000,
# SEQ 0x206000, data 0x400000 (one sector), table 0x500000 (8 bytes per sector).
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
    # descriptors: header, data (flags set per request), status
    mov qword ptr [0x200000], 0x203000
    mov dword ptr [0x200008], 16
    mov word ptr [0x20000c], 1
    mov word ptr [0x20000e], 1
    mov qword ptr [0x200010], 0x400000
    mov dword ptr [0x200018], 512
    mov word ptr [0x20001e], 2
    mov qword ptr [0x200020], 0x205000
    mov dword ptr [0x200028], 1
    mov word ptr [0x20002c], 2
    xor r12d, r12d              # sequence number of the last write
    xor r13d, r13d              # sector
1:  mov qword ptr [0x203008], r13
    mov dword ptr [0x203000], 0 # IN
    mov word ptr [0x20001c], 3  # NEXT | WRITE (the device writes the buffer)
    call submit
    mov al, 1
    jnz fail
    mov rdx, qword ptr [0x500000 + r13 * 8]
    mov al, 3
    cmp qword ptr [0x400000], rdx
    jne fail
    cmp qword ptr [0x4001f8], rdx
    jne fail
    test rdx, rdx
    jz 2f
    cmp qword ptr [0x400008], r13
    jne fail
2:  lea r14, [r12 + 1]
    mov qword ptr [0x400000], r14
    mov qword ptr [0x400008], r13
    mov qword ptr [0x4001f8], r14
    mov dword ptr [0x203000], 1 # OUT
    mov word ptr [0x20001c], 1  # NEXT
    call submit
    mov al, 2
    jnz fail
    mov r12, r14
    mov qword ptr [0x500000 + r13 * 8], r12
    mov qword ptr [0x206000], r12
    inc r13
    cmp r13, SECTORS
    jb 1b
    xor r13d, r13d
    jmp 1b
fail:
    out 0xf4, al
    hlt
# Makes the three descriptors available, notifies, polls the used ring; ZF set when the status byte is 0 (OK).
submit:
    mov byte ptr [0x205000], 0xff
    VIRTIO_KICK_WAIT
    cmp byte ptr [0x205000], 0
    ret
