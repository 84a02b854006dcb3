/* SPDX-License-Identifier: MIT */
/*
 * The probe batch (host/batch.h): building, serializing, and how many records
 * the image can write for it (docs/host.md, "The protocol").
 */
#include "host/batch.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

void hb_init(struct hb_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void hb_free(struct hb_batch *b)
{
	free(b->cmds);
	memset(b, 0, sizeof(*b));
}

int hb_push(struct hb_batch *b, const struct hb_cmd *c)
{
	if (sizeof(struct hb_header) + ((u64)b->ncmds + 1) * sizeof(struct hb_cmd) > HB_BATCH_MAX)
		return MSC_ENOSPC;
	if (b->ncmds == b->cap) {
		u32 cap = b->cap ? b->cap * 2 : 64;
		struct hb_cmd *n = realloc(b->cmds, (size_t)cap * sizeof(*n));

		if (!n)
			return MSC_ENOMEM;
		b->cmds = n;
		b->cap = cap;
	}
	b->cmds[b->ncmds++] = *c;
	return 0;
}

size_t hb_serialize(const struct hb_batch *b, void *buf, size_t n)
{
	size_t need = sizeof(struct hb_header) + (size_t)b->ncmds * sizeof(struct hb_cmd);
	struct hb_header h;

	if (n < need)
		return 0;
	memset(&h, 0, sizeof(h));
	h.magic = HB_MAGIC;
	h.version = HB_VERSION;
	h.ncmds = b->ncmds;
	h.result_pa = HB_RESULT_PA;
	h.result_cap = hb_records_max(b);
	h.cpu_off = b->cpu_off;
	h.maxphyaddr = b->maxphyaddr;
	memcpy(buf, &h, sizeof(h));
	if (b->ncmds)
		memcpy((u8 *)buf + sizeof(h), b->cmds, (size_t)b->ncmds * sizeof(struct hb_cmd));
	return need;
}

static bool size_ok(u8 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Whether [pa, pa + n) is scenario memory outside the legacy hole (the image's PHYS_CHECK). */
static bool phys_ok(u64 pa, u64 n)
{
	if (pa >> 32 || n > HB_SCN_LIMIT || pa > HB_SCN_LIMIT - n)
		return false;
	return !(pa < HB_HOLE_HI && pa + n > HB_HOLE_LO);
}

/* Whether the image answers @c with a record: the observing ops, plus any
 * command it finds malformed (HB_ST_BAD) and INVLPG (NOMODE, or a fault). */
static bool has_record(const struct hb_cmd *c)
{
	switch (c->op) {
	case HB_OP_NOP:
	case HB_OP_CASE:
	case HB_OP_FLUSH:
		return false;
	case HB_OP_ZERO:
		return ((c->a | c->b) & 0xfff) || !phys_ok(c->a, c->b);
	case HB_OP_WRITE:
		return !size_ok(c->size) || !phys_ok(c->a, c->size);
	case HB_OP_READ:
	case HB_OP_MODE:
	case HB_OP_ACCESS:
	case HB_OP_INVLPG:
	case HB_OP_CR3:
	case HB_OP_SMI:
	case HB_OP_RSM:
	case HB_OP_VMRUN_MODE:
		return true;
	case HB_OP_VMEXIT:
		return false;
	default:
		return true; /* unknown op: HB_ST_BAD */
	}
}

u32 hb_records_max(const struct hb_batch *b)
{
	u32 n = 0;

	for (u32 i = 0; i < b->ncmds; i++)
		n += has_record(&b->cmds[i]);
	return n;
}

const char *hb_op_name(u8 op)
{
	static const char *const names[HB_NR_OPS] = {
		[HB_OP_NOP] = "nop",
		[HB_OP_CASE] = "case",
		[HB_OP_ZERO] = "zero",
		[HB_OP_WRITE] = "write",
		[HB_OP_READ] = "read",
		[HB_OP_MODE] = "mode",
		[HB_OP_ACCESS] = "access",
		[HB_OP_INVLPG] = "invlpg",
		[HB_OP_FLUSH] = "flush",
		[HB_OP_CR3] = "cr3",
		[HB_OP_SMI] = "smi",
		[HB_OP_RSM] = "rsm",
		[HB_OP_VMRUN_MODE] = "vmrun-mode",
		[HB_OP_VMEXIT] = "vmexit",
	};

	return op < HB_NR_OPS ? names[op] : "?";
}

const char *hb_status_name(u8 st)
{
	switch (st) {
	case HB_ST_OK:
		return "ok";
	case HB_ST_REFUSED:
		return "refused";
	case HB_ST_CONFLICT:
		return "conflict";
	case HB_ST_NOMODE:
		return "nomode";
	case HB_ST_BAD:
		return "bad";
	default:
		return "?";
	}
}
