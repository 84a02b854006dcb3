; SPDX-License-Identifier: MIT
; 32-bit code: home (protected mode, paging off) and the 32-bit/PAE paging
; modes. MODE enters every mode from home; CASE and MODE leave to home.

; Home register state: CR0 PE|MP|ET|NE, CR4 OSFXSR|OSXMMEXCPT, EFER 0.
reset_home:
	mov eax, CR0_HOME
	mov cr0, eax
	mov eax, CR4_HOME
	mov cr4, eax
	mov ecx, MSR_EFER
	xor eax, eax
	xor edx, edx
	wrmsr
	ret

; PKRU 0 when CR4.PKE (before leaving a mode: CASE resets it).
pkru_zero_32:
	mov eax, cr4
	test eax, CR4_PKE
	jz .out
	xor eax, eax
	xor ecx, ecx
	xor edx, edx
	WRPKRU
.out:
	ret

; From a 32-bit/PAE paging mode back home (a plain call: the stack moves to
; its physical alias, return addresses are ROM addresses valid in both).
go_home_32:
	call pkru_zero_32
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	lgdt [gdtr_home]
	lidt [idtr_home32]
	sub esp, WIN_DELTA
	mov ebp, HPHYS
	call reset_home
	mov dword [ebp + V_FMT], FMT_NONE
	ret

op_case_32:
	cmp dword [ebp + V_INSMM], 0
	je .nosmm
	mov dword [ebp + V_INSMM], 0	; RSM first: the SMI's .back comes to the CASE
	mov dword [ebp + V_RSMED], 2
	rsm
.nosmm:
	cmp dword [ebp + V_FMT], FMT_NONE
	je loop_32
	call go_home_32
	jmp loop_32

; MODE from home: CR4, EFER, then (paging) the window, CR3 and CR0.
op_mode_32:
	cmp dword [ebp + V_FMT], FMT_NONE
	je .home
	call go_home_32
.home:
	test dword [ebp + V_CMD + CMD_A], CR0_PE
	jnz .pe
	test dword [ebp + V_CMD + CMD_A], CR0_PG
	jz bad_32			; real mode: not a scenario mode
.pe:					; PG without PE: the load raises #GP
	mov eax, [ebp + V_CMD + CMD_A + 4]
	or eax, [ebp + V_CMD + CMD_C + 4]
	jnz bad_32
	ARM .refused
	mov eax, [ebp + V_CMD + CMD_C]
	and eax, ~CR4_PCIDE		; PCIDE needs IA-32e mode: set in 64-bit code
	or eax, CR4_HOME
	mov cr4, eax
	mov ecx, MSR_EFER
	mov eax, [ebp + V_CMD + CMD_D]
	mov edx, [ebp + V_CMD + CMD_D + 4]
	wrmsr
	mov eax, [ebp + V_CMD + CMD_A]
	test eax, CR0_PG
	jnz .paging
	mov cr0, eax			; PE without paging: stays home
	mov dword [ebp + V_GUARD], 0
	jmp ok_32
.paging:
	mov dword [ebp + V_GUARD], 0
	mov eax, [ebp + V_CMD + CMD_C]
	test dword [ebp + V_CMD + CMD_D], EFER_LME
	jnz .long
	mov ecx, FMT_32
	test eax, CR4_PAE
	jz .legacy
	mov ecx, FMT_PAE
.legacy:
	mov [ebp + V_NFMT], ecx
	cmp dword [ebp + V_CMD + CMD_B + 4], 0
	jne .bad
	mov eax, [ebp + V_CMD + CMD_B]
	and eax, ~0x1F
	cmp eax, HB_SCN_LIMIT
	jae .bad
	call install_32
	test eax, eax
	jnz .conflict
	ARM .refused
	mov eax, [ebp + V_CMD + CMD_B]
	mov cr3, eax
	mov eax, [ebp + V_CMD + CMD_A]
	mov cr0, eax			; PAE: PDPTEs load here (#GP on reserved bits)
	; paging is on: code runs in the window's ROM alias, data moves there too
	lgdt [gdtr_win32]
	lidt [idtr_win32]
	add esp, WIN_DELTA
	mov ebp, WIN32
	mov dword [ebp + V_GUARD], 0
	and byte [ebp + H_GDT + SEL_TSS32 + 5], ~2
	mov ax, SEL_TSS32
	ltr ax
	mov eax, [ebp + V_NFMT]
	mov [ebp + V_FMT], eax
	jmp ok_32
.long:
	mov ecx, FMT_4L
	test eax, CR4_LA57
	jz .l4
	mov ecx, FMT_5L
.l4:
	mov [ebp + V_NFMT], ecx
	test byte [ebp + V_CMD + CMD_FLAGS], HB_F_CS64
	jz .bad				; compatibility mode: not supported (docs/host.md)
	mov eax, [ebp + V_CMD + CMD_B]
	and eax, ~0xFFF
	mov edx, [ebp + V_CMD + CMD_B + 4]
	and edx, 0x000FFFFF
	jnz .bad
	cmp eax, HB_SCN_LIMIT
	jae .bad
	call install_32
	test eax, eax
	jnz .conflict
	; enter long mode on the harness root (it maps the harness identity and
	; the window at both ends), then load the scenario's CR3 in 64-bit code
	mov eax, HPHYS + H_PML4
	cmp dword [ebp + V_NFMT], FMT_5L
	jne .root
	mov eax, HPHYS + H_PML5
.root:
	mov [ebp + V_TMPROOT], eax
	mov cr3, eax
	ARM .refused
	mov eax, [ebp + V_CMD + CMD_A]
	mov cr0, eax
	mov eax, cr0			; TCG ignores PG with LME and no PAE
	test eax, CR0_PG
	jz .refused_silently
	jmp SEL_CS64:lm_entry_low
.refused_silently:
	mov dword [ebp + V_GUARD], 0
.bad:
	call reset_home
	jmp bad_32
.conflict:
	call reset_home
	jmp conflict_32
.refused:
	call reset_home
	mov al, HB_ST_REFUSED
	jmp rec_loop_32

; ACCESS in a 32-bit/PAE mode: CPL0 jumps to the supervisor routine, CPL3
; IRETs to the user one; both end in INT 0x80 (or an exception).
op_access_32:
	cmp dword [ebp + V_FMT], FMT_NONE
	je nomode_32
	movzx ebx, byte [ebp + V_CMD + CMD_KIND]
	cmp ebx, HB_KIND_FETCH
	ja bad_32
	SIZE_CHECK
	bsf ecx, ecx
	lea ebx, [ebx * 4 + ecx]
	mov al, [ebp + V_CMD + CMD_CPL]
	cmp al, 3
	je .u
	test al, al
	jnz bad_32
	mov esi, [sup32_tbl + ebx * 4]
	jmp .t
.u:
	mov esi, [usr32_tbl + ebx * 4]
.t:
	call target_32
	ARM .after
	mov eax, cr4
	test eax, CR4_PKE
	jz .nopk
	xor ecx, ecx
	xor edx, edx
	mov eax, [ebp + V_CMD + CMD_E]
	WRPKRU
.nopk:
	movq xmm0, [ebp + V_CMD + CMD_B]
	mov eax, [ebp + V_CMD + CMD_B]
	mov ecx, 2
	test byte [ebp + V_CMD + CMD_FLAGS], HB_F_AC
	jz .noac
	or ecx, RFL_AC
.noac:
	cmp byte [ebp + V_CMD + CMD_CPL], 3
	je .user
	push ecx
	popfd
	jmp esi
.user:
	mov dx, SEL_UDS
	mov ds, dx
	mov es, dx
	push dword SEL_UDS
	push dword WIN32 + USTACK + 0x1000
	push ecx
	push dword SEL_UCS32
	push esi
	iretd
.after:
	push dword 2
	popfd
	mov ax, SEL_DS
	mov ds, ax
	mov es, ax
	call pkru_zero_32
	cmp byte [ebp + V_CMD + CMD_KIND], HB_KIND_READ
	je ok_32
	mov dword [ebp + V_VAL], 0	; the routine's eax:edx is a value only for reads
	mov dword [ebp + V_VAL + 4], 0
	jmp ok_32

; CR3 b in a 32-bit/PAE mode: the window goes into the new root first.
op_cr3_32:
	cmp dword [ebp + V_FMT], FMT_NONE
	je nomode_32
	cmp dword [ebp + V_CMD + CMD_B + 4], 0
	jne bad_32
	mov eax, [ebp + V_CMD + CMD_B]
	and eax, ~0x1F
	cmp eax, HB_SCN_LIMIT
	jae bad_32
	mov ecx, [ebp + V_FMT]
	mov [ebp + V_NFMT], ecx
	call install_32
	test eax, eax
	jnz conflict_32
	ARM .refused
	mov eax, [ebp + V_CMD + CMD_B]
	mov cr3, eax
	mov dword [ebp + V_GUARD], 0
	jmp ok_32
.refused:
	mov al, HB_ST_REFUSED
	jmp rec_loop_32

; Exceptions and INT 0x80 in legacy modes (stubs push error code and vector).
common_32:
	cld
	mov ebp, cr0
	test ebp, CR0_PG
	mov ebp, HPHYS
	jz .h
	mov ebp, WIN32
.h:
	pop ecx
	pop ebx
	cmp dword [ebp + V_GUARD], 0
	je fail_32
	mov dword [ebp + V_GUARD], 0
	cmp ecx, 0x80
	jne .exc
	mov [ebp + V_VAL], eax
	mov [ebp + V_VAL + 4], edx
	jmp .res
.exc:
	mov [ebp + V_VEC], ecx
	mov [ebp + V_EC], ebx
	cmp ecx, 14
	jne .res
	mov eax, cr2
	mov [ebp + V_CR2], eax
.res:
	mov esp, [ebp + V_RSP]
	jmp [ebp + V_RIP]

; The end of a supervisor access routine: as INT 0x80's handler.
sup_done_32:
	mov [ebp + V_VAL], eax
	mov [ebp + V_VAL + 4], edx
	mov dword [ebp + V_GUARD], 0
	mov esp, [ebp + V_RSP]
	jmp [ebp + V_RIP]

; The SMI handler, reached from smm_stub in SMM (paging off, CS32 of the
; harness GDT): home state, the handler's bytes back, record the SMI.
smm_entry_32:
	mov ax, SEL_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov ebp, HPHYS
	lea esp, [ebp + STACK_TOP]
	lidt [idtr_home32]
	call reset_home
	cld
	mov edi, [ebp + V_SMBASE]
	add edi, HB_SMM_HANDLER_OFF
	lea esi, [ebp + V_SMMSAVE]
	mov ecx, HB_SMM_STUB_BYTES / 4
	rep movsd
	mov dword [ebp + V_FMT], FMT_NONE
	mov dword [ebp + V_INSMM], 1
	jmp ok_32

optab_32:
	dd op_nop_32, op_case_32, op_zero_32, op_write_32, op_read_32
	dd op_mode_32, op_access_32, op_invlpg_32, op_flush_32, op_cr3_32
	dd op_smi_32, op_rsm_32, bad_32, loop_32	; VMRUN_MODE needs 4-level; VMEXIT: not in L2
