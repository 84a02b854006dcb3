; SPDX-License-Identifier: MIT
; mmuscope's probe image: a 64 KiB flat ROM run from the reset vector (QEMU
; -bios, or a KVM ROM slot at 0xFFFF0000). It runs the batch at HB_BATCH_PA
; (host/batch.h) and exits through isa-debug-exit. docs/host.md describes the
; design: home state, the harness window, the ops.

%include "batch.inc"
%include "layout.inc"
%include "routines.inc"

	org HB_ROM_PA

; ---------------------------------------------------------------- 32-bit
	bits 32
	default abs

; Protected mode, paging off, from reset16: build the harness data, go.
pm_entry:
	mov ax, SEL_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, HPHYS + STACK_TOP
	mov ebp, HPHYS
	in al, 0x92			; fast A20 (QEMU and KVM have it on already)
	or al, 2
	and al, ~1
	out 0x92, al
	cld
	mov edi, HPHYS
	xor eax, eax
	mov ecx, H_TABLES_END / 4
	rep stosd
	mov esi, gdt_tmpl
	lea edi, [ebp + H_GDT]
	mov ecx, (GDT_LIMIT + 1) / 4
	rep movsd
	mov esi, idt32_tmpl
	lea edi, [ebp + H_IDT32]
	mov ecx, 256 * 8 / 4
	rep movsd
	mov esi, idt64_tmpl
	lea edi, [ebp + H_IDT64]
	mov ecx, 256 * 16 / 4
	rep movsd
	; TSSs: ring-0 entry on the IST stack (window addresses)
	mov dword [ebp + H_TSS32 + 4], WIN32 + IST_TOP
	mov dword [ebp + H_TSS32 + 8], SEL_DS
	mov word [ebp + H_TSS32 + 0x66], 0x68
	mov dword [ebp + H_TSS64 + 4], WIN32 + IST_TOP		; RSP0
	mov dword [ebp + H_TSS64 + 8], 0xFFFFFFFF
	mov dword [ebp + H_TSS64 + 0x24], WIN32 + IST_TOP	; IST1
	mov dword [ebp + H_TSS64 + 0x28], 0xFFFFFFFF
	mov word [ebp + H_TSS64 + 0x66], 0x68
	; window leaves: harness data, then the ROM (both formats)
	xor ecx, ecx
.data:
	mov eax, ecx
	shl eax, 12
	add eax, HPHYS + LEAF_RW
	cmp ecx, USTACK >> 12
	jne .d1
	or eax, PTE_U
.d1:
	mov [ebp + H_PT_LO + ecx * 8], eax
	mov [ebp + H_PT32 + ecx * 4], eax
	inc ecx
	cmp ecx, HDATA_PAGES
	jb .data
	xor ecx, ecx
.rom:
	mov eax, ecx
	shl eax, 12
	add eax, HB_ROM_PA + LEAF_RO
	cmp ecx, UPAGE >> 12
	jne .r1
	or eax, PTE_U
.r1:
	mov [ebp + H_PT_HI + (ROM_PT_IDX + ecx) * 8], eax
	mov [ebp + H_PT32 + (512 + ROM_PT_IDX + ecx) * 4], eax
	inc ecx
	cmp ecx, 16
	jb .rom
	; upper levels
	mov dword [ebp + H_PD + 510 * 8], HPHYS + H_PT_LO + UPPER
	mov dword [ebp + H_PD + 511 * 8], HPHYS + H_PT_HI + UPPER
	mov dword [ebp + H_PD_ID + (HPHYS >> 21) * 8], HPHYS + LEAF_RW + PTE_PS
	mov dword [ebp + H_PDPT + 0 * 8], HPHYS + H_PD_ID + UPPER
	mov dword [ebp + H_PDPT + 3 * 8], HPHYS + H_PD + UPPER
	mov dword [ebp + H_PDPT + 511 * 8], HPHYS + H_PD + UPPER
	mov dword [ebp + H_PML4 + 0 * 8], HPHYS + H_PDPT + UPPER
	mov dword [ebp + H_PML4 + 511 * 8], HPHYS + H_PDPT + UPPER
	mov dword [ebp + H_PML5 + 0 * 8], HPHYS + H_PML4 + UPPER
	mov dword [ebp + H_PML5 + 511 * 8], HPHYS + H_PML4 + UPPER
	; nested paging: the NPT slot (L2 gpa HB_L2_GPA_BASE + x -> x, 2 MiB
	; leaves with A|D: the CPU never writes them) and L2's window tables
	mov dword [ebp + H_NPDPT + 0 * 8], HPHYS + H_NPD0 + UPPER
	mov dword [ebp + H_NPDPT + 3 * 8], HPHYS + H_NPD3 + UPPER
	mov dword [ebp + H_NPD0 + (HPHYS >> 21) * 8], HPHYS + LEAF_RW + PTE_U + PTE_PS
	mov dword [ebp + H_NPD0 + (HPHYS >> 21) * 8 + 8], HPHYS + 0x200000 + LEAF_RW + PTE_U + PTE_PS
	mov dword [ebp + H_NPD3 + 511 * 8], 0xFFE00000 + LEAF_RW + PTE_U + PTE_PS
	mov dword [ebp + H_L2PDPT + 511 * 8], HPHYS + H_L2PD + UPPER
	mov dword [ebp + H_L2PDPT + 511 * 8 + 4], HB_L2_GPA_BASE >> 32
	mov dword [ebp + H_L2PD + 511 * 8], HPHYS + H_L2PT + UPPER
	mov dword [ebp + H_L2PD + 511 * 8 + 4], HB_L2_GPA_BASE >> 32
	mov dword [ebp + H_L2PT + L2_STK_IDX * 8], HPHYS + L2_SSTACK + LEAF_RW
	mov dword [ebp + H_L2PT + L2_STK_IDX * 8 + 4], HB_L2_GPA_BASE >> 32
	mov dword [ebp + H_L2PT + L2_STK_IDX * 8 + 8], HPHYS + L2_USTACK + LEAF_RW + PTE_U
	mov dword [ebp + H_L2PT + L2_STK_IDX * 8 + 12], HB_L2_GPA_BASE >> 32
	xor ecx, ecx
.l2rom:
	mov eax, [ebp + H_PT_HI + (ROM_PT_IDX + ecx) * 8]
	mov [ebp + H_L2PT + (ROM_PT_IDX + ecx) * 8], eax
	mov dword [ebp + H_L2PT + (ROM_PT_IDX + ecx) * 8 + 4], HB_L2_GPA_BASE >> 32
	inc ecx
	cmp ecx, 16
	jb .l2rom
	mov ecx, 7
.slots:
	mov dword [ebp + V_SLOTC + ecx * 4], 1	; never a page address
	dec ecx
	jns .slots
	lgdt [gdtr_home]
	lidt [idtr_home32]
	call reset_home
	; the batch header
	mov esi, HB_BATCH_PA
	cmp dword [esi + HDR_MAGIC], HB_MAGIC
	jne fail_32
	cmp dword [esi + HDR_VERSION], HB_VERSION
	jne fail_32
	mov eax, [esi + HDR_NCMDS]
	cmp eax, (HB_BATCH_MAX - HDR_SIZE) / CMD_SIZEOF
	ja fail_32
	mov [ebp + V_NCMDS], eax
	cmp dword [esi + HDR_RESULT_PA], HB_RESULT_PA
	jne fail_32
	cmp dword [esi + HDR_RESULT_PA + 4], 0
	jne fail_32
	cmp dword [esi + HDR_RESULT_CAP + 4], 0
	jne fail_32
	mov eax, [esi + HDR_RESULT_CAP]
	cmp eax, HB_RESULT_MAX / REC_SIZEOF
	ja fail_32
	mov [ebp + V_RCAP], eax
	jmp loop_32

%define W64 0
%include "interp.asm"
%include "ops32.asm"

; Exception stubs: error code (0 when the CPU pushes none) and vector.
%macro STUBS 1
stubs_%1:
%assign v 0
%rep 256
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
%else
	push strict dword 0
%endif
	push strict dword v
	jmp near common_%1
	times 16 * (v + 1) - ($ - stubs_%1) db 0xCC
%assign v v + 1
%endrep
%endmacro

	align 16
	STUBS 32
	ROUTINES32 sup32, sup_done_32

; ---------------------------------------------------------------- 64-bit
	bits 64
	default rel
%define W64 1
%include "interp.asm"
%include "ops64.asm"

	align 16
	STUBS 64
	ROUTINES64 sup64, sup_done_64
	ROUTINES64 l2s64, vmm

; ---------------------------------------------------------------- tables
	align 16
	ROUTINE_TABLE sup32
	ROUTINE_TABLE usr32
	ROUTINE_TABLE sup64
	ROUTINE_TABLE usr64
	ROUTINE_TABLE l2s64
	ROUTINE_TABLE l2u64

	align 8
gdt_tmpl:
	dq 0
	dq 0x00CF9B000000FFFF		; 0x08 CS32
	dq 0x00CF93000000FFFF		; 0x10 data
	dq 0x00AF9B000000FFFF		; 0x18 CS64
	dq 0x00CFFB000000FFFF		; 0x20 CS32, DPL3
	dq 0x00CFF3000000FFFF		; 0x28 data, DPL3
	dq 0x00AFFB000000FFFF		; 0x30 CS64, DPL3
	dw 0x67, (H_TSS32 & 0xFFFF)	; 0x38 32-bit TSS at WIN32 + H_TSS32
	db (WIN32 + H_TSS32) >> 16 & 0xFF, 0x89, 0, (WIN32 + H_TSS32) >> 24
	dw 0x67, (H_TSS64 & 0xFFFF)	; 0x40 64-bit TSS at WIN64 + H_TSS64
	db (WIN32 + H_TSS64) >> 16 & 0xFF, 0x89, 0, (WIN32 + H_TSS64) >> 24
	dd 0xFFFFFFFF, 0

idt32_tmpl:
%assign v 0
%rep 256
	dw (stubs_32 - $$) + v * 16, SEL_CS32
%if v == 0x80
	db 0, 0xEE
%else
	db 0, 0x8E
%endif
	dw 0xFFFF
%assign v v + 1
%endrep

idt64_tmpl:
%assign v 0
%rep 256
	dw (stubs_64 - $$) + v * 16, SEL_CS64
%if v == 0x80
	db 1, 0xEE
%else
	db 1, 0x8E
%endif
	dw 0xFFFF
	dd 0xFFFFFFFF, 0
%assign v v + 1
%endrep

gdtr_home:	dw GDT_LIMIT
		dd HPHYS + H_GDT
gdtr_win32:	dw GDT_LIMIT
		dd WIN32 + H_GDT
idtr_home32:	dw 256 * 8 - 1
		dd HPHYS + H_IDT32
idtr_win32:	dw 256 * 8 - 1
		dd WIN32 + H_IDT32
gdtr_home64:	dw GDT_LIMIT
		dq HPHYS + H_GDT
gdtr_win64:	dw GDT_LIMIT
		dq 0xFFFFFFFFFFC00000 + H_GDT
idtr_win64:	dw 256 * 16 - 1
		dq 0xFFFFFFFFFFC00000 + H_IDT64

; ---------------------------------------------------------------- user page
%if ($ - $$) > UPAGE
%error "code overflows into the user trampoline page"
%endif
	times UPAGE - ($ - $$) db 0xCC
	bits 32
	ROUTINES32 usr32, user
	bits 64
	ROUTINES64 usr64, user
	ROUTINES64 l2u64, vmm

; ---------------------------------------------------------------- reset
%if ($ - $$) > 0xF000
%error "user page overflows"
%endif
	times 0xF000 - ($ - $$) db 0xCC
	bits 16
reset16:
	cli
	cld
	o32 lgdt [cs:gdtr_rom - $$]
	mov eax, cr0
	or al, CR0_PE
	mov cr0, eax
	jmp dword SEL_CS32:pm_entry

gdtr_rom:	dw GDT_LIMIT
		dd gdt_tmpl

; The SMI handler's first instructions, copied to SMBASE + 0x8000 by SMI: the
; CPU enters SMM in a real-mode-like state with CS base SMBASE and IP 0x8000
; (SDM Vol. 3 34.5.1), so the GDTR is addressed CS-relative.
	align 4
smm_stub:
	o32 lgdt [cs:HB_SMM_HANDLER_OFF + smm_gdtr - smm_stub]
	mov eax, cr0
	or al, CR0_PE
	mov cr0, eax
	jmp dword SEL_CS32:smm_entry_32
smm_gdtr:	dw GDT_LIMIT
		dd HPHYS + H_GDT
%if ($ - smm_stub) > HB_SMM_STUB_BYTES
%error "the SMI handler stub is too long"
%endif
	times HB_SMM_STUB_BYTES - ($ - smm_stub) db 0xCC

	times 0xFFF0 - ($ - $$) db 0xCC
	jmp near reset16
	times HB_ROM_BYTES - ($ - $$) db 0xCC
