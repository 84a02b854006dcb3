/* SPDX-License-Identifier: MIT */
/* Scenario names tables and memory: an arena of strings and the step array. */
#include "sim/scenario.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

/* Arena blocks: one allocation each, chained; data is max-aligned for any struct. */
struct arena_block {
	struct arena_block *next;
	_Alignas(16) char data[];
};

static const char *const op_names[SCN_NR_OPS] = {
	[SCN_OP_SET] = "set",
	[SCN_OP_MAP] = "map",
	[SCN_OP_UNMAP] = "unmap",
	[SCN_OP_SET_ENTRY] = "set_entry",
	[SCN_OP_MEM_WRITE] = "mem_write",
	[SCN_OP_MEM_READ] = "mem_read",
	[SCN_OP_ACCESS] = "access",
	[SCN_OP_INVLPG] = "invlpg",
	[SCN_OP_INVPCID] = "invpcid",
	[SCN_OP_FLUSH_TLB] = "flush_tlb",
	[SCN_OP_SMI] = "smi",
	[SCN_OP_RSM] = "rsm",
	[SCN_OP_VMENTRY] = "vmentry",
	[SCN_OP_VMEXIT] = "vmexit",
	[SCN_OP_PRE_FAULT] = "pre_fault",
	[SCN_OP_MEMSLOT_ADD] = "memslot_add",
	[SCN_OP_MEMSLOT_DELETE] = "memslot_delete",
	[SCN_OP_MEMSLOT_FLAGS] = "memslot_flags",
	[SCN_OP_ZAP_ALL] = "zap_all",
	[SCN_OP_EXPECT] = "expect",
};

static const char *const reg_names[SCN_NR_REGS] = {
	[SCN_REG_CR0] = "cr0",	 [SCN_REG_CR3] = "cr3",	      [SCN_REG_CR4] = "cr4",
	[SCN_REG_EFER] = "efer", [SCN_REG_RFLAGS] = "rflags", [SCN_REG_CPL] = "cpl",
	[SCN_REG_PKRU] = "pkru", [SCN_REG_CS_L] = "cs_l",
};

static const char *const fmt_names[] = {
	[SCN_FMT_32] = "32",	   [SCN_FMT_PAE] = "pae",   [SCN_FMT_4LVL] = "4level",
	[SCN_FMT_5LVL] = "5level", [SCN_FMT_EPT4] = "ept4", [SCN_FMT_EPT5] = "ept5",
};

const char *scn_op_name(enum scn_op op)
{
	return (unsigned)op < SCN_NR_OPS ? op_names[op] : "?";
}

const char *scn_reg_name(enum scn_reg reg)
{
	return (unsigned)reg < SCN_NR_REGS ? reg_names[reg] : "?";
}

const char *scn_fmt_name(enum scn_fmt fmt)
{
	return (unsigned)fmt < MSC_ARRAY_SIZE(fmt_names) ? fmt_names[fmt] : "?";
}

void *scn_alloc(struct scenario *s, size_t size)
{
	struct arena_block *b = calloc(1, sizeof(*b) + size);

	if (!b)
		return NULL;
	b->next = s->arena;
	s->arena = b;
	return b->data;
}

const char *scn_strndup(struct scenario *s, const char *str, size_t len)
{
	char *p = scn_alloc(s, len + 1);

	if (p)
		memcpy(p, str, len);
	return p;
}

int scn_alloc_steps(struct scenario *s, unsigned n)
{
	if (n > SCN_MAX_STEPS)
		return MSC_E2BIG;
	free(s->steps);
	s->steps = calloc(n ? n : 1, sizeof(*s->steps));
	s->nsteps = 0;
	return s->steps ? 0 : MSC_ENOMEM;
}

void scn_free(struct scenario *s)
{
	struct arena_block *b, *next;

	if (!s)
		return;
	for (b = s->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(s->steps);
	memset(s, 0, sizeof(*s));
}
