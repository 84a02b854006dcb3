/* SPDX-License-Identifier: MIT */
/*
 * Instruction decoding through Capstone, the only file that includes it: the text
 * of a scenario step's instruction and the size of the memory it writes.
 */
#include "cpu/decode.h"

#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "cpu/err.h"

/*
 * Capstone 4 marks the memory destination of some stores as read-only (lock
 * cmpxchg, cmpxchg8b/16b, movups, movq, movnti, vmovdqu, fst, extractps, ...).
 * For these mnemonics operand 0, when it is memory, is the destination: Intel
 * syntax puts the destination first, and every one of them writes it (cmpxchg
 * writes the destination back even when the comparison fails, SDM Vol. 2
 * CMPXCHG: "the processor never produces a locked read without also producing
 * a locked write").
 */
static const char *const store_prefixes[] = {
	"mov", /* mov*, vmov* (SSE/AVX stores), movs, movnt* */
	"cmpxchg", "extract", "pextr", "fst",  "fist", "fbstp", "fnst",
	"stmxcsr", "sgdt",    "sidt",  "sldt", "str",  "smsw",
};

/* Skip the prefixes Capstone 4 puts inside the mnemonic ("lock cmpxchg"). */
static const char *base_mnemonic(const char *m)
{
	static const char *const pfx[] = {"lock ",  "rep ",	 "repe ",     "repne ",	  "repz ",
					  "repnz ", "xacquire ", "xrelease ", "notrack ", "bnd "};
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < MSC_ARRAY_SIZE(pfx); i++) {
			size_t n = strlen(pfx[i]);

			if (!strncmp(m, pfx[i], n)) {
				m += n;
				again = true;
			}
		}
	}
	return m;
}

static bool stores_to_op0(const char *mnemonic)
{
	const char *m = base_mnemonic(mnemonic);

	if (*m == 'v') /* VEX/EVEX forms: vmovdqu, vextractps, vpextrd */
		m++;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(store_prefixes); i++)
		if (!strncmp(m, store_prefixes[i], strlen(store_prefixes[i])))
			return true;
	return false;
}

/* Bytes written to memory: the largest written memory operand. */
static u8 write_size_of(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	bool op0_store = stores_to_op0(insn->mnemonic);
	u8 size = 0;

	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		bool written = (op->access & CS_AC_WRITE) || (i == 0 && op0_store);

		if (op->type == X86_OP_MEM && written && op->size > size)
			size = op->size;
	}
	return size;
}

/*
 * x86_page_table_writing_insn(): the opcodes with the PageTable flag in KVM's
 * emulator tables (arch/x86/kvm/emulate.c): OR and AND in every form (0x08-0x0d,
 * 0x20-0x25, group 1 /1 and /4), XCHG (0x86/0x87), MOV to r/m (0x88/0x89, 0x8c,
 * 0xc6/0xc7 /0), CMPXCHG (0x0f 0xb0/0xb1), CMPXCHG8B/16B (0x0f 0xc7 /1), BTS and
 * BTC (0x0f 0xab, 0x0f 0xbb, group 8 /5 and /7). BTR, ADD, MOVS, STOS and the
 * moffs MOV (0xa2/0xa3) do not have it.
 */
static bool page_table_writing(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	u8 op = x->opcode[0], reg = (u8)((x->modrm >> 3) & 7);

	if (op == 0x0f) {
		switch (x->opcode[1]) {
		case 0xab:
		case 0xbb:
		case 0xb0:
		case 0xb1:
			return true;
		case 0xba:
			return reg == 5 || reg == 7;
		case 0xc7:
			return reg == 1;
		default:
			return false;
		}
	}
	if ((op >= 0x08 && op <= 0x0d) || (op >= 0x20 && op <= 0x25))
		return true;
	switch (op) {
	case 0x80:
	case 0x81:
	case 0x82:
	case 0x83:
		return reg == 1 || reg == 4;
	case 0x86:
	case 0x87:
	case 0x88:
	case 0x89:
	case 0x8c:
		return true;
	case 0xc6:
	case 0xc7:
		return reg == 0;
	default:
		return false;
	}
}

/* "mnemonic operands", cut to fit out->text (Capstone's fields are larger). */
static void set_text(struct decoded_insn *out, const char *mnemonic, const char *ops)
{
	size_t cap = sizeof(out->text) - 1, len = strnlen(mnemonic, cap);

	memcpy(out->text, mnemonic, len);
	if (*ops && len < cap) {
		size_t olen = strnlen(ops, cap - len - 1);

		out->text[len++] = ' ';
		memcpy(out->text + len, ops, olen);
		len += olen;
	}
	out->text[len] = '\0';
}

static void set_bad(struct decoded_insn *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "(bad)");
}

int decode_insn(const u8 *bytes, size_t len, unsigned bits, u64 rip, struct decoded_insn *out)
{
	cs_mode mode;
	cs_insn *insn = NULL;
	csh h;
	size_t n;

	if (!out)
		return MSC_EINVAL;
	set_bad(out);
	switch (bits) {
	case 16:
		mode = CS_MODE_16;
		break;
	case 32:
		mode = CS_MODE_32;
		break;
	case 64:
		mode = CS_MODE_64;
		break;
	default:
		return MSC_EINVAL;
	}
	if (!bytes || !len)
		return MSC_EINVAL;
	/* A handle per call: no global state, so callers on any thread get the same text. */
	if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK)
		return MSC_EIO;
	if (cs_option(h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		cs_close(&h);
		return MSC_EIO;
	}
	n = cs_disasm(h, bytes, len, rip, 1, &insn);
	if (n == 1) {
		out->valid = true;
		out->len = (u8)insn->size;
		out->write_size = write_size_of(insn);
		out->pt_writing = page_table_writing(insn);
		set_text(out, insn->mnemonic, insn->op_str);
	}
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	return 0;
}
