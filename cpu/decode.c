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
		set_text(out, insn->mnemonic, insn->op_str);
	}
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	return 0;
}
