; Hatchery flat guest: the smallest thing that proves a VM ran.
;
; The VMM loads this ELF's single PT_LOAD at guest-physical 0x100000 and starts
; the vCPU at e_entry (0x100000) in 64-bit long mode, with 4 GiB identity-mapped
; and a 64-bit GDT (kernel-cache's BootLayout gives the addresses). It then:
;   0. at its first instruction, writes the boot-milestone code 0x40 ("kernel
;      entry") to the debug port 0x80 (port I/O exit), as the bundled Linux
;      kernel does, so a flat VM's timeline splits VMM time from guest time too;
;   1. writes the byte 123 to the boot-complete device at 0xd0000000 (MMIO exit);
;   2. loads an IDT with limit 0 and executes int3: the #BP cannot be delivered,
;      nor can the resulting #GP / #DF, so the CPU triple-faults and KVM reports
;      KVM_EXIT_SHUTDOWN. That exit is how this guest ends, on purpose.

bits 64
default rel

BOOT_DEVICE_ADDR equ 0xd0000000
BOOT_COMPLETE    equ 123
MILESTONE_PORT   equ 0x80       ; the VMM's boot-milestone device (debug port)
KERNEL_ENTRY     equ 0x40       ; milestone code: kernel entry

section .text
global _start
_start:
    mov al, KERNEL_ENTRY
    out MILESTONE_PORT, al

    ; An absolute [disp32] is sign-extended in 64-bit mode (0xd0000000 would
    ; become 0xffffffffd0000000), so go through a register: a 32-bit mov
    ; zero-extends into rax.
    mov eax, BOOT_DEVICE_ADDR
    mov byte [rax], BOOT_COMPLETE

    lidt [null_idt]         ; limit 0: no vector is deliverable
    int3                    ; #BP -> #GP -> #DF -> triple fault

.hang:                      ; not reached
    hlt
    jmp .hang

align 8
null_idt:
    dw 0                    ; limit
    dq 0                    ; base

; No executable stack (keeps ld from warning).
section .note.GNU-stack noalloc noexec nowrite progbits
