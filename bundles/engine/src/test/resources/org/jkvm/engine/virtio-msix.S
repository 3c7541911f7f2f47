# A 64-bit guest (jkvm boot header, loader's identity map, position independent) that takes virtio-blk completions
# as MSI-X messages, as Linux's virtio_pci driver sets them up: the local APIC enabled (8259As masked), MSI-X enabled
# in the function in slot SLOT (capability 0x11 found in the list), table entry 1 = APIC 0, fixed, edge, vector 0x51,
# queue_msix_vector 1 (read back), msix_config 0 and a vector beyond the table (reads back 0xffff), queue 0 of 8.
#  1. entry 1 unmasked: an IN request's completion is interrupt 0x51 (STI; HLT until it came);
#  2. entry 1 masked: a second IN request completes (used index) and sets PBA bit 1, no interrupt; prints "pending";
#  3. waits for the byte at 0x209000 to become 1 (the test sets it, e.g. in the RAM it moved to another VM), then
#     unmasks entry 1: the pending message is delivered (interrupt 0x51 again) and PBA bit 1 clears.
# Exit code 42 through debug-exit port 0xf4 on success, else the failed step (r15); any other vector exits 0xee.
# Memory: IDT 0x70000, descriptors 0x200000, available ring 0x201000, used ring 0x202000, header 0x203000,
# status 0x205000, IN data 0x206000, interrupt count 0x208000, go flag 0x209000, stack below 0x300000.
.intel_syntax noprefix
.code64
.include "virtio-pci.inc"
start:
    cli
    mov rsp, 0x300000
    mov dword ptr [0x208000], 0
    lea rax, [rip + fault]
    xor edi, edi
1:  call set_gate
    inc edi
    cmp edi, 256
    jb 1b
    lea rax, [rip + msi_isr]
    mov edi, 0x51
    call set_gate
    lea rax, [rip + spurious]
    mov edi, 0xff
    call set_gate
    lidt [rip + idtr]
    mov al, 0xff                # mask both 8259As
    out 0x21, al
    out 0xa1, al
    mov ebx, 0xfee00000         # local APIC: software enabled, spurious vector 0xff, TPR 0
    mov dword ptr [rbx + 0xf0], 0x1ff
    mov dword ptr [rbx + 0x80], 0

    mov r15d, 1                 # the MSI-X capability
    mov ecx, 0x34
    call cfg_read
    movzx esi, al
2:  test esi, esi
    jz fail
    mov ecx, esi
    call cfg_read
    cmp al, 0x11
    je 3f
    movzx esi, ah
    jmp 2b
3:  mov ecx, esi                # esi = capability offset; eax = its first dword
    shr eax, 16
    and eax, 0x7ff
    mov r15d, 2
    cmp eax, 1                  # table size - 1: one queue plus config
    jne fail
    mov ecx, esi
    add ecx, 4
    call cfg_read
    mov r15d, 3
    cmp eax, 1                  # table at 0 of BAR 1
    jne fail
    mov ecx, 0x14
    call cfg_read
    and eax, 0xfffffff0
    mov r12d, eax               # r12 = MSI-X table
    mov ecx, 0x20
    call cfg_read
    and eax, 0xfffffff0
    mov ebx, eax                # rbx = virtio BAR 4
    mov eax, 0x80000004 | (SLOT << 11)  # command: memory space and bus master (MSI-X messages are DMA)
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    mov ax, 0x0006
    out dx, ax
    mov eax, esi                # MSI-X enable: 16-bit write of message control (capability + 2)
    and eax, 0xfc
    or eax, 0x80000000 | (SLOT << 11)
    mov dx, 0xcf8
    out dx, eax
    mov edx, esi
    add edx, 2
    and edx, 3
    add edx, 0xcfc
    mov ax, 0x8000
    out dx, ax
    mov dword ptr [r12 + 0x10], 0xfee00000
    mov dword ptr [r12 + 0x14], 0
    mov dword ptr [r12 + 0x18], 0x51
    mov dword ptr [r12 + 0x1c], 0

    VIRTIO_HELLO                    # virtio: reset, ACKNOWLEDGE, DRIVER, VERSION_1, then FEATURES_OK
    mov dword ptr [rbx + 0x08], 0
    mov dword ptr [rbx + 0x0c], 0
    mov byte ptr [rbx + 0x14], 0x0b
    mov al, byte ptr [rbx + 0x14]
    mov r15d, 4
    test al, 8
    jz fail
    mov word ptr [rbx + 0x10], 5    # msix_config beyond the 2-entry table reads back NO_VECTOR
    mov r15d, 5
    cmp word ptr [rbx + 0x10], 0xffff
    jne fail
    mov word ptr [rbx + 0x10], 0
    cmp word ptr [rbx + 0x10], 0
    jne fail
    VIRTIO_QUEUE0
    mov word ptr [rbx + 0x1a], 1
    mov r15d, 6
    cmp word ptr [rbx + 0x1a], 1
    jne fail
    mov word ptr [rbx + 0x1c], 1
    mov byte ptr [rbx + 0x14], 0x0f

    mov r15d, 7                 # 1. unmasked: the completion is an interrupt
    call submit
    test al, al
    jnz fail
    mov r13d, 1
    call wait_irqs

    mov dword ptr [r12 + 0x1c], 1   # 2. masked: the completion pends
    mov r15d, 8
    call submit
    test al, al
    jnz fail
4:  pause
    test dword ptr [r12 + 0x800], 2
    jz 4b
    mov r15d, 9
    cmp dword ptr [0x208000], 1
    jne fail
    lea rsi, [rip + pending]
    call puts

5:  pause                       # 3. the test's go, then unmask: the pending message arrives
    cmp byte ptr [0x209000], 1
    jne 5b
    mov r15d, 10
    test dword ptr [r12 + 0x800], 2
    jz fail
    mov dword ptr [r12 + 0x1c], 0
    mov r13d, 2
    call wait_irqs
    mov r15d, 11
    test dword ptr [r12 + 0x800], 2
    jnz fail
    lea rsi, [rip + delivered]
    call puts
    mov al, 42
    out 0xf4, al
    hlt

fail:
    mov eax, r15d
    out 0xf4, al
    hlt

# Waits with STI; HLT until the interrupt count reaches r13d (STI's shadow makes STI; HLT one step).
wait_irqs:
    cli
    cmp dword ptr [0x208000], r13d
    jae 1f
    sti
    hlt
    jmp wait_irqs
1:  sti
    ret

msi_isr:
    inc dword ptr [0x208000]
    push rax
    mov eax, 0xfee00000
    mov dword ptr [rax + 0xb0], 0
    pop rax
spurious:
    iretq

fault:
    mov al, 0xee
    out 0xf4, al
    hlt
    jmp fault

# ecx = configuration register of slot SLOT; returns its dword in eax
cfg_read:
    mov eax, ecx
    and eax, 0xfc
    or eax, 0x80000000 | (SLOT << 11)
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    ret

# rax = handler, edi = vector: a present 64-bit interrupt gate at 0x70000 + 16 * vector, selector 0x08
set_gate:
    mov ecx, edi
    shl ecx, 4
    add ecx, 0x70000
    mov word ptr [rcx], ax
    mov word ptr [rcx + 2], 0x08
    mov word ptr [rcx + 4], 0x8e00
    mov rdx, rax
    shr rdx, 16
    mov word ptr [rcx + 6], dx
    shr rdx, 16
    mov dword ptr [rcx + 8], edx
    mov dword ptr [rcx + 12], 0
    ret

# rsi = NUL-terminated string to COM1
puts:
    mov dx, 0x3f8
1:  mov al, byte ptr [rsi]
    test al, al
    jz 2f
    out dx, al
    inc rsi
    jmp 1b
2:  ret

# An IN request for sector 0 (512 bytes to 0x206000); waits for the used index to move; returns the status in al.
submit:
    mov dword ptr [0x203000], 0
    mov dword ptr [0x203004], 0
    mov qword ptr [0x203008], 0
    mov byte ptr [0x205000], 0xff
    mov qword ptr [0x200000], 0x203000
    mov dword ptr [0x200008], 16
    mov word ptr [0x20000c], 1
    mov word ptr [0x20000e], 1
    mov qword ptr [0x200010], 0x206000
    mov dword ptr [0x200018], 512
    mov word ptr [0x20001c], 3
    mov word ptr [0x20001e], 2
    mov qword ptr [0x200020], 0x205000
    mov dword ptr [0x200028], 1
    mov word ptr [0x20002c], 2
    VIRTIO_KICK_WAIT
    mov al, byte ptr [0x205000]
    ret

    .align 8
idtr:
    .word 4095
    .quad 0x70000
pending:
    .asciz "pending\n"
delivered:
    .asciz "delivered\n"
