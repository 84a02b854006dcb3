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
	dd op_smi_64, op_rsm_64

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
