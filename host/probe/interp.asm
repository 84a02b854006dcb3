; SPDX-License-Identifier: MIT
; The batch interpreter, assembled twice by probe.asm: W64=0 (home and the
; 32-bit/PAE modes, 32-bit code) and W64=1 (long mode, 64-bit code in the
; window's sign-extended alias). xbp always holds the harness data base of the
; current mode (HPHYS at home, the window otherwise); the stack starts afresh at
; STACK_TOP for every command. Width-specific ops live in ops32.asm/ops64.asm.

%if W64
%define xax rax
%define xbx rbx
%define xcx rcx
%define xdx rdx
%define xsi rsi
%define xdi rdi
%define xsp rsp
%define xbp rbp
%define WIN WIN64
%define N(x) x %+ _64
%else
%define xax eax
%define xbx ebx
%define xcx ecx
%define xdx edx
%define xsi esi
%define xdi edi
%define xsp esp
%define xbp ebp
%define WIN WIN32
%define N(x) x %+ _32
%endif

%ifndef INTERP_MACROS
%define INTERP_MACROS
; ecx = the command's size field: jumps to bad unless 1, 2, 4 or 8
%macro SIZE_CHECK 0
	movzx ecx, byte [xbp + V_CMD + CMD_SIZE]
	cmp ecx, 8
	ja N(bad)
	test ecx, ecx
	jz N(bad)
	lea edx, [xcx - 1]
	test ecx, edx
	jnz N(bad)
%endmacro

; [a, a + ecx) must lie in the scenario's memory outside the legacy hole; eax = a
%macro PHYS_CHECK 0
	cmp dword [xbp + V_CMD + CMD_A + 4], 0
	jne N(bad)
	mov eax, [xbp + V_CMD + CMD_A]
	mov edx, HB_SCN_LIMIT
	sub edx, ecx
	jb N(bad)
	cmp eax, edx
	ja N(bad)
	cmp eax, HB_HOLE_HI
	jae %%ok
	lea edx, [xax + xcx]
	cmp edx, HB_HOLE_LO
	ja N(bad)
%%ok:
%endmacro

; Guard the next instructions: an exception resumes at %1 with the stack as now.
%macro ARM 1
	mov [xbp + V_RSP], xsp
%if W64
	lea rax, [rel %1]
	mov [rbp + V_RIP], rax
%else
	mov dword [ebp + V_RIP], %1
	mov dword [ebp + V_RIP + 4], 0
%endif
	mov dword [xbp + V_GUARD], 1
%endmacro
%endif

; Physical page of eax into window slot ecx (at home: eax itself); xax = its
; linear address. Clobbers edx. The slot's PTE is written in both window
; formats and only that VA is invalidated, so scenario translations stay.
N(map):
	cmp dword [xbp + V_FMT], FMT_NONE
	je .home
	mov edx, eax
	and edx, ~0xFFF
	cmp [xbp + V_SLOTC + xcx * 4], edx
	je .hit
	mov [xbp + V_SLOTC + xcx * 4], edx
	or edx, LEAF_RW
	mov dword [xbp + H_PT_HI + xcx * 8 + 4], 0
	mov [xbp + H_PT_HI + xcx * 8], edx
	mov [xbp + H_PT32 + 0x800 + xcx * 4], edx
	mov edx, ecx
	shl edx, 12
	invlpg [xdx + WIN + SLOT_VA]
.hit:
	and eax, 0xFFF
	mov edx, ecx
	shl edx, 12
	add eax, edx
	lea xax, [xax + WIN + SLOT_VA]
.home:
	ret

; eax = physical address, ecx = bytes (<= 8): xdi = linear address of both
; pages (slots PHYS0 and PHYS1 are adjacent). Keeps ecx.
N(map2):
	push xcx
	push xax
	mov ecx, SLOT_PHYS0
	call N(map)
	mov xdi, xax
	pop xax
	pop xcx
	mov edx, eax
	and edx, 0xFFF
	add edx, ecx
	cmp edx, 0x1000
	jbe .one
	push xcx
	push xdi
	add eax, 0x1000
	mov ecx, SLOT_PHYS1
	call N(map)
	pop xdi
	pop xcx
.one:
	ret

; Write a record: al = status; vector, error code, CR2 and value from V_*.
N(rec):
	push xax
	mov eax, [xbp + V_NRECS]
	cmp eax, [xbp + V_RCAP]
	jae N(fail)
	shl eax, 5
	add eax, HB_RESULT_PA
	mov ecx, SLOT_RES
	call N(map)
	mov xdi, xax
	pop xax
	mov [xdi + REC_STATUS], al
	mov eax, [xbp + V_IDX]
	mov [xdi + REC_CMD], eax
	mov eax, [xbp + V_CMD + CMD_ID]
	mov [xdi + REC_ID], eax
	mov al, [xbp + V_CMD + CMD_OP]
	mov [xdi + REC_OP], al
	mov al, [xbp + V_VEC]
	mov [xdi + REC_VECTOR], al
	mov al, [xbp + V_RFL]
	mov [xdi + REC_RFLAGS], al
	mov eax, [xbp + V_EC]
	mov [xdi + REC_ERROR_CODE], eax
	mov eax, [xbp + V_CR2]
	mov [xdi + REC_CR2], eax
	mov eax, [xbp + V_CR2 + 4]
	mov [xdi + REC_CR2 + 4], eax
	mov eax, [xbp + V_VAL]
	mov [xdi + REC_VALUE], eax
	mov eax, [xbp + V_VAL + 4]
	mov [xdi + REC_VALUE + 4], eax
	inc dword [xbp + V_NRECS]
	ret

; Install the harness window in the top-level table at eax (V_NFMT's format).
; eax = 0, or 1 when the slot holds a scenario entry (nothing written then).
N(install):
	push xbx
	push xsi
	mov ebx, eax
	mov esi, [xbp + V_NFMT]
	cmp esi, FMT_32
	jne .pae
	lea eax, [xbx + 1023 * 4]
	mov ecx, SLOT_TBL
	call N(map)
	mov edx, HPHYS + H_PT32 + UPPER
	mov ecx, [xax]
	test ecx, PTE_P
	jz .put32
	or ecx, PTE_A			; A: the CPU's own mark on a harness entry
	cmp ecx, edx
	jne .conflict
.put32:
	mov [xax], edx
	jmp .ok
.pae:
	cmp esi, FMT_PAE
	jne .long
	and ebx, ~0x1F
	lea eax, [xbx + 3 * 8]
	mov ecx, SLOT_TBL
	call N(map)
	mov ecx, [xax]
	test ecx, PTE_P
	jnz .pae_present
	mov dword [xax + 4], 0
	mov dword [xax], HPHYS + H_PD + PTE_P
	jmp .ok
.pae_present:
	cmp dword [xax + 4], 0
	jne .conflict
	and ecx, ~0x60			; TCG sets A in a PDPTE it reads from memory
	cmp ecx, HPHYS + H_PD + PTE_P
	je .ok
	and ecx, ~0xFFF
	cmp ecx, HB_SCN_LIMIT
	jae .conflict
	lea eax, [xcx + 510 * 8]
	mov ecx, SLOT_TBL
	call N(map)
	mov ecx, [xax]
	test ecx, PTE_P
	jz .pde511
	or ecx, PTE_A
	cmp ecx, HPHYS + H_PT_LO + UPPER
	jne .conflict
	cmp dword [xax + 4], 0
	jne .conflict
.pde511:
	mov ecx, [xax + 8]
	test ecx, PTE_P
	jz .pde_put
	or ecx, PTE_A
	cmp ecx, HPHYS + H_PT_HI + UPPER
	jne .conflict
	cmp dword [xax + 12], 0
	jne .conflict
.pde_put:
	mov dword [xax + 4], 0
	mov dword [xax], HPHYS + H_PT_LO + UPPER
	mov dword [xax + 12], 0
	mov dword [xax + 8], HPHYS + H_PT_HI + UPPER
	jmp .ok
.long:
	mov edx, HPHYS + H_PDPT + UPPER
	cmp esi, FMT_5L
	jne .l4
	mov edx, HPHYS + H_PML4 + UPPER
.l4:
	push xdx
	lea eax, [xbx + 511 * 8]
	mov ecx, SLOT_TBL
	call N(map)
	pop xdx
	mov ecx, [xax]
	test ecx, PTE_P
	jz .put64
	or ecx, PTE_A
	cmp ecx, edx
	jne .conflict
	cmp dword [xax + 4], 0
	jne .conflict
.put64:
	mov dword [xax + 4], 0
	mov [xax], edx
.ok:
	xor eax, eax
	jmp .out
.conflict:
	mov eax, 1
.out:
	pop xsi
	pop xbx
	ret

; The main loop: fetch command V_CUR into V_CMD and dispatch it.
N(loop):
	lea xsp, [xbp + STACK_TOP]
	mov eax, [xbp + V_CUR]
	cmp eax, [xbp + V_NCMDS]
	jae N(done)
	mov [xbp + V_IDX], eax
	inc dword [xbp + V_CUR]
	shl eax, 6
	add eax, HB_BATCH_PA + HDR_SIZE
	mov ecx, SLOT_BATCH
	call N(map)
	mov xsi, xax
	lea xdi, [xbp + V_CMD]
	mov ecx, CMD_SIZEOF / 4
	rep movsd
N(exec):
	mov dword [xbp + V_VEC], HB_NO_VECTOR
	xor eax, eax
	mov [xbp + V_EC], eax
	mov [xbp + V_CR2], eax
	mov [xbp + V_CR2 + 4], eax
	mov [xbp + V_VAL], eax
	mov [xbp + V_VAL + 4], eax
	mov [xbp + V_RFL], eax
	movzx eax, byte [xbp + V_CMD + CMD_OP]
	cmp eax, HB_NR_OPS
	jae N(bad)
%if W64
	lea rdx, [rel optab_64]
	movsxd rax, dword [rdx + rax * 4]
	jmp rax
%else
	jmp [optab_32 + eax * 4]
%endif

N(done):
	mov eax, HB_DONE_VALUE
	out HB_EXIT_PORT, eax
.halt:
	cli
	hlt
	jmp .halt

N(fail):
	mov eax, HB_FAIL_VALUE
	out HB_EXIT_PORT, eax
.halt:
	cli
	hlt
	jmp .halt

N(bad):
	mov al, HB_ST_BAD
	jmp N(rec_loop)
N(nomode):
	mov al, HB_ST_NOMODE
	jmp N(rec_loop)
N(conflict):
	mov al, HB_ST_CONFLICT
	jmp N(rec_loop)
N(ok):
	mov al, HB_ST_OK
N(rec_loop):
	call N(rec)
	jmp N(loop)

N(op_nop):
	jmp N(loop)

N(op_zero):
	mov eax, [xbp + V_CMD + CMD_A]
	mov ecx, [xbp + V_CMD + CMD_B]
	cmp dword [xbp + V_CMD + CMD_B + 4], 0
	jne N(bad)
	mov edx, eax
	or edx, ecx
	test edx, 0xFFF
	jnz N(bad)
	PHYS_CHECK
	mov ebx, eax
	mov esi, ecx
	shr esi, 12
	jz N(loop)
.page:
	mov eax, ebx
	mov ecx, SLOT_PHYS0
	call N(map)
	mov xdi, xax
	xor eax, eax
	mov ecx, 1024
	rep stosd
	add ebx, 0x1000
	dec esi
	jnz .page
	jmp N(loop)

N(op_write):
	SIZE_CHECK
	PHYS_CHECK
	call N(map2)
	mov eax, [xbp + V_CMD + CMD_B]
	cmp ecx, 2
	jb .w1
	je .w2
	cmp ecx, 4
	je .w4
%if W64
	mov rax, [rbp + V_CMD + CMD_B]
	mov [rdi], rax
%else
	cmp dword [ebp + V_FMT], FMT_NONE
	je .w8home
	movq xmm0, [ebp + V_CMD + CMD_B]	; one 8-byte store: a PTE edit is atomic
	movq [edi], xmm0
	jmp N(loop)
.w8home:				; no paging: halves will do (and KVM's
	mov [edi], eax			; emulator, which may run paging-off code,
	mov eax, [ebp + V_CMD + CMD_B + 4]	; lacks SSE moves)
	mov [edi + 4], eax
%endif
	jmp N(loop)
.w1:
	mov [xdi], al
	jmp N(loop)
.w2:
	mov [xdi], ax
	jmp N(loop)
.w4:
	mov [xdi], eax
	jmp N(loop)

N(op_read):
	SIZE_CHECK
	PHYS_CHECK
	call N(map2)
	cmp ecx, 2
	jb .r1
	je .r2
	cmp ecx, 4
	je .r4
%if W64
	mov rax, [rdi]
	mov [rbp + V_VAL], rax
%else
	cmp dword [ebp + V_FMT], FMT_NONE
	je .r8home
	movq xmm0, [edi]
	movq [ebp + V_VAL], xmm0
	jmp N(ok)
.r8home:
	mov eax, [edi]
	mov [ebp + V_VAL], eax
	mov eax, [edi + 4]
	mov [ebp + V_VAL + 4], eax
%endif
	jmp N(ok)
.r1:
	movzx eax, byte [xdi]
	jmp .put
.r2:
	movzx eax, word [xdi]
	jmp .put
.r4:
	mov eax, [xdi]
.put:
	mov [xbp + V_VAL], eax
	jmp N(ok)

; INVLPG a (no record unless it faults or the mode lacks paging)
N(op_invlpg):
	cmp dword [xbp + V_FMT], FMT_NONE
	je N(nomode)
	call N(target)
	ARM .faulted
	invlpg [xdi]
	mov dword [xbp + V_GUARD], 0
	jmp N(loop)
.faulted:
	jmp N(ok)

; FLUSH: toggle CR4.PGE when set, else reload CR3 (no record)
N(op_flush):
	cmp dword [xbp + V_FMT], FMT_NONE
	je N(loop)
	mov xax, cr4
	test eax, CR4_PGE
	jz .cr3
	btc xax, 7
	mov cr4, xax
	btc xax, 7
	mov cr4, xax
	jmp N(loop)
.cr3:
	mov xax, cr3
	mov cr3, xax
	jmp N(loop)

; xdi = the command's linear address a; jumps (stack reset by the loop) to bad
; when it does not fit the mode, to conflict when it lies in the window.
N(target):
%if W64
	mov rdi, [rbp + V_CMD + CMD_A]
	mov rax, 0xFFFFFF8000000000
	cmp dword [rbp + V_FMT], FMT_5L
	jne .cmp
	mov rax, 0xFF00000000000000
.cmp:
	cmp rdi, rax
	jae N(conflict)
%else
	cmp dword [ebp + V_CMD + CMD_A + 4], 0
	jne N(bad)
	mov edi, [ebp + V_CMD + CMD_A]
	cmp edi, WIN32
	jae N(conflict)
%endif
	ret


; SMI a (docs/host.md "SMM"): the handler stub goes to a + 0x8000 (the bytes
; there saved), the local APIC sends the SMI; the handler (smm_entry_32) records
; OK and the interpreter goes on in SMM at home. RSM comes back to .back in
; this mode, with this command's registers: V_CMD then holds the RSM (or CASE).
N(op_smi):
	cmp dword [xbp + V_INSMM], 0
	jne N(bad)
	cmp dword [xbp + V_CMD + CMD_A + 4], 0
	jne N(bad)
	mov eax, [xbp + V_CMD + CMD_A]
	cmp eax, HB_SCN_LIMIT - HB_SMM_HANDLER_OFF - HB_SMM_STUB_BYTES
	ja N(bad)
	add eax, HB_SMM_HANDLER_OFF
	cmp eax, HB_HOLE_HI
	jae .inmem
	cmp eax, HB_HOLE_LO - HB_SMM_STUB_BYTES
	ja N(bad)
.inmem:
	call N(apic_icr)		; no local APIC (the kvm runner has no irqchip):
	jz .refused			; REFUSED, nothing touched
	mov eax, [xbp + V_CMD + CMD_A]
	add eax, HB_SMM_HANDLER_OFF
	mov ecx, HB_SMM_STUB_BYTES
	call N(map2)
	push xdi
	mov xsi, xdi
	lea xdi, [xbp + V_SMMSAVE]
	mov ecx, HB_SMM_STUB_BYTES / 4
	rep movsd
	pop xdi
%if W64
	lea rsi, [rel smm_stub]
%else
	mov esi, smm_stub
%endif
	mov ecx, HB_SMM_STUB_BYTES / 4
	rep movsd
	mov eax, [xbp + V_CMD + CMD_A]
	mov [xbp + V_SMBASE], eax
	mov eax, [xbp + V_FMT]
	mov [xbp + V_SMMFMT], eax
	mov dword [xbp + V_RSMED], 0
	call N(apic_icr)
	mov ecx, SLOT_APIC
	call N(map)
	mov ecx, 2
	test byte [xbp + V_CMD + CMD_FLAGS], HB_F_AC
	jz .noac
	or ecx, RFL_AC
.noac:
	push xcx
	popf
	mov dword [xax], HB_APIC_ICR_SMI	; a 32-bit store: the APIC takes no wider
	jmp .sent			; ends the translation block: the SMI is taken here
.sent:
	mov ecx, 0x100000
.wait:
	cmp dword [xbp + V_RSMED], 0
	jne .back
	pause
	dec ecx
	jnz .wait
	; no SMI: the bytes go back, REFUSED without a vector
	mov eax, [xbp + V_SMBASE]
	add eax, HB_SMM_HANDLER_OFF
	mov ecx, HB_SMM_STUB_BYTES
	call N(map2)
	lea xsi, [xbp + V_SMMSAVE]
	mov ecx, HB_SMM_STUB_BYTES / 4
	rep movsd
.refused:
	mov al, HB_ST_REFUSED
	jmp N(rec_loop)
.back:					; after RSM, in the mode the SMI interrupted
	push 2
	popf
	mov eax, [xbp + V_SMMFMT]
	mov [xbp + V_FMT], eax
	cmp dword [xbp + V_RSMED], 2
	je N(op_case)
	jmp N(ok)			; the RSM's record

; eax = the physical address of the local APIC's ICR (low) from IA32_APIC_BASE
; (reset: 0xFEE00000, HB_APIC_ICR_PA); ZF set when the APIC is off or absent
; (global enable clear, or a base above 4 GiB). Clobbers ecx, edx.
N(apic_icr):
	mov ecx, 0x1B			; IA32_APIC_BASE
	rdmsr
	test edx, edx
	jnz .none
	test eax, 0x800			; global enable
	jz .out
	and eax, ~0xFFF
	add eax, HB_APIC_ICR_PA & 0xFFF
	or ecx, 1			; ZF clear
	ret
.none:
	xor eax, eax
.out:
	ret

; RSM: in SMM back to the SMI's .back; outside SMM a record of its fault (#UD).
N(op_rsm):
	cmp dword [xbp + V_INSMM], 0
	je .outside
	mov dword [xbp + V_INSMM], 0
	mov dword [xbp + V_RSMED], 1
	rsm
	jmp N(fail)
.outside:
	ARM .after
	rsm
	mov dword [xbp + V_GUARD], 0
.after:
	jmp N(ok)
