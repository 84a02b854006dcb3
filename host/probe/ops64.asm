; SPDX-License-Identifier: MIT
; Long mode (4- and 5-level paging, 64-bit code): entry from home through the
; harness root, the 64-bit ops, and the way back home through compatibility mode.

; Reached by the far jump of op_mode_32 in compatibility mode on the harness
; root: continue in the window's sign-extended alias.
lm_entry_low:
	mov eax, lm_entry_hi
	movsxd rax, eax
	jmp rax
lm_entry_hi:
	mov rbp, WIN64
	lgdt [rel gdtr_win64]
	lidt [rel idtr_win64]
	mov ax, SEL_DS
	mov ss, ax
	mov ds, ax
	mov es, ax
	lea rsp, [rbp + STACK_TOP]
	and byte [rbp + H_GDT + SEL_TSS64 + 5], ~2
	mov ax, SEL_TSS64
	ltr ax
	mov eax, [rbp + V_NFMT]
	mov [rbp + V_FMT], eax
	ARM .refused
	test dword [rbp + V_CMD + CMD_C], CR4_PCIDE
	jz .nopcid
	mov rax, cr4
	bts rax, 17
	mov cr4, rax
.nopcid:
	mov rax, [rbp + V_CMD + CMD_B]
	mov cr3, rax
	mov dword [rbp + V_GUARD], 0
	jmp ok_64
.refused:
	mov al, HB_ST_REFUSED
	call rec_64
	mov ebx, loop_32
	jmp go_home_64

; Leave long mode and continue at the 32-bit home address in ebx.
go_home_64:
	mov dword [rbp + V_NESTED], 0
	mov rax, cr4
	test eax, CR4_PKE
	jz .nopk
	xor eax, eax
	xor ecx, ecx
	xor edx, edx
	WRPKRU
	mov rax, cr4
.nopk:
	btr rax, 17			; PCIDE must be clear to leave IA-32e mode
	mov cr4, rax
	mov eax, [rbp + V_TMPROOT]
	mov cr3, rax
	lgdt [rel gdtr_home64]
	push SEL_CS32
	mov eax, lm_exit_32
	push rax
	o64 retf

op_case_64:
	mov ebx, loop_32
	jmp go_home_64

op_mode_64:
	mov ebx, exec_32
	jmp go_home_64

op_access_64:
	cmp dword [rbp + V_NESTED], 0
	jne access_l2_64
	movzx ebx, byte [rbp + V_CMD + CMD_KIND]
	cmp ebx, HB_KIND_FETCH
	ja bad_64
	SIZE_CHECK
	bsf ecx, ecx
	lea ebx, [rbx * 4 + rcx]
	lea rdx, [rel sup64_tbl]
	mov al, [rbp + V_CMD + CMD_CPL]
	cmp al, 3
	je .u
	test al, al
	jnz bad_64
	jmp .t
.u:
	lea rdx, [rel usr64_tbl]
.t:
	movsxd rsi, dword [rdx + rbx * 4]
	call target_64
	ARM .after
	mov rax, cr4
	test eax, CR4_PKE
	jz .nopk
	xor ecx, ecx
	xor edx, edx
	mov eax, [rbp + V_CMD + CMD_E]
	WRPKRU
.nopk:
	mov rax, [rbp + V_CMD + CMD_B]
	mov ecx, 2
	test byte [rbp + V_CMD + CMD_FLAGS], HB_F_AC
	jz .noac
	or ecx, RFL_AC
.noac:
	cmp byte [rbp + V_CMD + CMD_CPL], 3
	je .user
	push rcx
	popfq
	jmp rsi
.user:
	push SEL_UDS
	lea rdx, [rbp + USTACK + 0x1000]
	push rdx
	push rcx
	push SEL_UCS64
	push rsi
	iretq
.after:
	push 2
	popfq
	cmp byte [rbp + V_CMD + CMD_KIND], HB_KIND_READ
	je .rd
	mov qword [rbp + V_VAL], 0	; rax is a value only for reads
.rd:
	mov rax, cr4
	test eax, CR4_PKE
	jz ok_64
	xor eax, eax
	xor ecx, ecx
	xor edx, edx
	WRPKRU
	jmp ok_64

; ---- nested paging (docs/host.md "Nested paging"): the image is L1's hypervisor

; VMCB offsets (APM Vol. 2 Appendix B)
VMCB_EXC	equ 0x008
VMCB_MISC1	equ 0x00C
VMCB_MISC2	equ 0x010
VMCB_ASID	equ 0x058
VMCB_EXITCODE	equ 0x070
VMCB_EXITINFO1	equ 0x078
VMCB_EXITINFO2	equ 0x080
VMCB_NP		equ 0x090
VMCB_NCR3	equ 0x0B0
VMCB_ES		equ 0x400
VMCB_CS		equ 0x410
VMCB_SS		equ 0x420
VMCB_DS		equ 0x430
VMCB_CPL	equ 0x4CB
VMCB_EFER	equ 0x4D0
VMCB_CR4	equ 0x548
VMCB_CR3	equ 0x550
VMCB_CR0	equ 0x558
VMCB_DR7	equ 0x560
VMCB_DR6	equ 0x568
VMCB_RFLAGS	equ 0x570
VMCB_RIP	equ 0x578
VMCB_RSP	equ 0x5D8
VMCB_RAX	equ 0x5F8
VMCB_GPAT	equ 0x668
L2_STK_VA	equ -0x200000 + L2_STK_IDX * 0x1000	; L2's stacks in its window

; rax = the entry at physical eax (through slot ecx) in r8, its value in rdx;
; ZF set when it is free or already the harness's r9 (A and D ignored).
nested_slot_64:
	call map_64
	mov r8, rax
	mov rdx, [r8]
	test edx, PTE_P
	jz .out
	mov rax, rdx
	or rax, PTE_A | PTE_D
	mov rcx, r9
	or rcx, PTE_A | PTE_D
	cmp rax, rcx
.out:
	ret

; VMRUN_MODE: L2's window (PML4E 511 of f), the NPT slot (nPML4E 1 of e), the VMCB.
op_vmrun_mode_64:
	cmp dword [rbp + V_FMT], FMT_4L
	jne bad_64
	cmp dword [rbp + V_NESTED], 0
	jne bad_64
	mov rax, [rbp + V_CMD + CMD_F]
	test eax, 0xFFF
	jnz bad_64
	cmp rax, HB_SCN_LIMIT
	jae bad_64
	mov rax, [rbp + V_CMD + CMD_E]
	mov rcx, 0x000FFFFFFFFFF000
	and rax, rcx
	cmp rax, HB_SCN_LIMIT
	jae bad_64
	add eax, HB_L2_NPT_SLOT * 8
	mov r9d, HPHYS + H_NPDPT + UPPER
	mov ecx, SLOT_TBL
	call nested_slot_64
	jnz conflict_64
	mov r10, r8
	mov eax, [rbp + V_CMD + CMD_F]
	add eax, 511 * 8
	mov r9, HB_L2_GPA_BASE + HPHYS + H_L2PDPT + UPPER
	mov ecx, SLOT_PHYS0
	call nested_slot_64
	jnz conflict_64
	mov [r8], r9
	mov eax, HPHYS + H_NPDPT + UPPER
	mov [r10], rax
	; EFER.SVME and the host save area
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_SVME
	wrmsr
	mov ecx, MSR_HSAVE
	mov eax, HPHYS + H_HSAVE
	xor edx, edx
	wrmsr
	; the VMCB: intercepts, ASID, NPT, L2's registers
	lea rdi, [rbp + H_VMCB]
	xor eax, eax
	mov ecx, 1024
	rep stosd
	lea r8, [rbp + H_VMCB]
	mov dword [r8 + VMCB_EXC], 0xFFFFFFFF	; every exception
	mov dword [r8 + VMCB_MISC1], 0x80000000	; shutdown
	mov dword [r8 + VMCB_MISC2], 3		; VMRUN, VMMCALL
	mov eax, [rbp + V_CMD + CMD_ASID]
	mov [r8 + VMCB_ASID], eax
	mov dword [r8 + VMCB_NP], 1
	mov rax, [rbp + V_CMD + CMD_E]
	mov [r8 + VMCB_NCR3], rax
	mov rax, [rbp + V_CMD + CMD_D]
	or eax, EFER_SVME			; a VMRUN consistency check
	test eax, EFER_LME
	jz .nolma
	test dword [rbp + V_CMD + CMD_A], CR0_PG
	jz .nolma
	or eax, 0x400				; LMA: the VMCB holds it as the CPU has it
.nolma:
	mov [r8 + VMCB_EFER], rax
	mov rax, [rbp + V_CMD + CMD_C]
	or eax, CR4_HOME
	mov [r8 + VMCB_CR4], rax
	mov rax, [rbp + V_CMD + CMD_B]
	mov [r8 + VMCB_CR3], rax
	mov rax, [rbp + V_CMD + CMD_A]
	mov [r8 + VMCB_CR0], rax
	mov dword [r8 + VMCB_DR7], 0x400
	mov dword [r8 + VMCB_DR6], 0xFFFF0FF0
	mov rax, 0x0007040600070406		; the reset PAT
	mov [r8 + VMCB_GPAT], rax
	mov dword [rbp + V_NESTED], 1
	jmp ok_64

op_vmexit_64:
	cmp dword [rbp + V_NESTED], 0
	je loop_64
	mov dword [rbp + V_NESTED], 0
	mov ecx, MSR_EFER		; L1's EFER as the scenario has it (an SMI saves it)
	rdmsr
	and eax, ~EFER_SVME
	wrmsr
	jmp loop_64

; Set the VMCB segment at r8 + ecx: selector ax, attributes dx, flat.
%macro VMCB_SEG 3
	mov word [r8 + %1], %2
	mov word [r8 + %1 + 2], %3
	mov dword [r8 + %1 + 4], 0xFFFFFFFF
	mov qword [r8 + %1 + 8], 0
%endmacro

; ACCESS in L2: one VMRUN into the routine, which ends with VMMCALL.
access_l2_64:
	movzx ebx, byte [rbp + V_CMD + CMD_KIND]
	cmp ebx, HB_KIND_FETCH
	ja bad_64
	SIZE_CHECK
	bsf ecx, ecx
	lea ebx, [rbx * 4 + rcx]
	lea r8, [rbp + H_VMCB]
	mov al, [rbp + V_CMD + CMD_CPL]
	cmp al, 3
	je .u
	test al, al
	jnz bad_64
	lea rdx, [rel l2s64_tbl]
	VMCB_SEG VMCB_CS, SEL_CS64, 0xA9B
	VMCB_SEG VMCB_SS, SEL_DS, 0xC93
	VMCB_SEG VMCB_DS, SEL_DS, 0xC93
	VMCB_SEG VMCB_ES, SEL_DS, 0xC93
	mov byte [r8 + VMCB_CPL], 0
	mov rax, L2_STK_VA + 0x1000
	jmp .t
.u:
	lea rdx, [rel l2u64_tbl]
	VMCB_SEG VMCB_CS, SEL_UCS64, 0xAFB
	VMCB_SEG VMCB_SS, SEL_UDS, 0xCF3
	VMCB_SEG VMCB_DS, SEL_UDS, 0xCF3
	VMCB_SEG VMCB_ES, SEL_UDS, 0xCF3
	mov byte [r8 + VMCB_CPL], 3
	mov rax, L2_STK_VA + 0x2000
.t:
	mov [r8 + VMCB_RSP], rax
	movsxd rsi, dword [rdx + rbx * 4]
	mov [r8 + VMCB_RIP], rsi
	call target_64
	mov eax, 2
	test byte [rbp + V_CMD + CMD_FLAGS], HB_F_AC
	jz .noac
	or eax, RFL_AC
.noac:
	mov [r8 + VMCB_RFLAGS], rax
	mov rax, [rbp + V_CMD + CMD_B]
	mov [r8 + VMCB_RAX], rax
	mov qword [r8 + VMCB_EXITCODE], 0
	mov eax, HPHYS + H_VMCB
	vmrun
	stgi
	lea r8, [rbp + H_VMCB]
	mov rax, [r8 + VMCB_EXITCODE]
	cmp rax, HB_SVM_EXIT_VMMCALL
	je .done
	cmp rax, HB_SVM_EXIT_NPF
	je .npf
	cmp rax, 0x40
	jb .other
	cmp rax, 0x5F
	ja .other
	sub eax, 0x40
	mov [rbp + V_VEC], eax
	mov rcx, [r8 + VMCB_EXITINFO1]
	mov [rbp + V_EC], ecx
	cmp eax, 14
	jne ok_64
	mov rcx, [r8 + VMCB_EXITINFO2]
	mov [rbp + V_CR2], rcx
	jmp ok_64
.done:
	cmp byte [rbp + V_CMD + CMD_KIND], HB_KIND_READ
	jne ok_64
	mov rax, [r8 + VMCB_RAX]
	mov [rbp + V_VAL], rax
	jmp ok_64
.npf:
	mov dword [rbp + V_RFL], HB_RF_NPF
	mov rax, [r8 + VMCB_EXITINFO1]
	mov [rbp + V_VAL], rax
	mov [rbp + V_EC], eax
	mov rax, [r8 + VMCB_EXITINFO2]
	mov [rbp + V_CR2], rax
	jmp ok_64
.other:
	mov dword [rbp + V_RFL], HB_RF_EXIT
	mov [rbp + V_VAL], rax
	mov rax, [r8 + VMCB_EXITINFO1]
	mov [rbp + V_CR2], rax
	jmp ok_64

op_cr3_64:
	mov rax, [rbp + V_CMD + CMD_B]
	mov rcx, 0x000FFFFFFFFFF000
	and rax, rcx
	cmp rax, HB_SCN_LIMIT
	jae bad_64
	mov ecx, [rbp + V_FMT]
	mov [rbp + V_NFMT], ecx
	call install_64
	test eax, eax
	jnz conflict_64
	ARM .refused
	mov rax, [rbp + V_CMD + CMD_B]
	mov cr3, rax
	mov dword [rbp + V_GUARD], 0
	jmp ok_64
.refused:
	mov al, HB_ST_REFUSED
	jmp rec_loop_64

; Exceptions and INT 0x80 in long mode (IST1 stack).
common_64:
	cld
	mov rbp, WIN64
	pop rcx
	pop rbx
	cmp dword [rbp + V_GUARD], 0
	je fail_64
	mov dword [rbp + V_GUARD], 0
	cmp ecx, 0x80
	jne .exc
	mov [rbp + V_VAL], rax
	jmp .res
.exc:
	mov [rbp + V_VEC], ecx
	mov [rbp + V_EC], ebx
	cmp ecx, 14
	jne .res
	mov rax, cr2
	mov [rbp + V_CR2], rax
.res:
	mov rsp, [rbp + V_RSP]
	jmp [rbp + V_RIP]

; The end of a supervisor access routine: as INT 0x80's handler.
sup_done_64:
	mov [rbp + V_VAL], rax
	mov dword [rbp + V_GUARD], 0
	mov rsp, [rbp + V_RSP]
	jmp [rbp + V_RIP]

optab_64:
	dd op_nop_64, op_case_64, op_zero_64, op_write_64, op_read_64
	dd op_mode_64, op_access_64, op_invlpg_64, op_flush_64, op_cr3_64
	dd op_smi_64, op_rsm_64, op_vmrun_mode_64, op_vmexit_64

bits 32
; Compatibility mode on the harness root (identity for the harness data):
; paging off, then home.
lm_exit_32:
	mov ax, SEL_DS
	mov ss, ax
	mov ds, ax
	mov es, ax
	mov esp, HPHYS + STACK_TOP
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	lidt [idtr_home32]
	mov ebp, HPHYS
	call reset_home
	mov dword [ebp + V_FMT], FMT_NONE
	jmp ebx
bits 64
