/* SPDX-License-Identifier: MIT */
/* Matching records to predictions (docs/host.md, "Comparing and the divergence table"). */
#include "host/compare.h"

#include <stdio.h>
#include <string.h>

#include "cpu/regs.h"

static u64 size_mask(unsigned size)
{
	return size >= 8 || !size ? ~0ULL : (1ULL << (8 * size)) - 1;
}

bool host_outcome_equal(const struct lower_outcome *o, const struct hb_record *r, u8 size)
{
	if (r->status != HB_ST_OK || r->vector != o->vector)
		return false;
	if (o->npf)
		return r->rflags == HB_RF_NPF && r->value == o->exitinfo1 && r->cr2 == o->exitinfo2;
	if (r->rflags)
		return false; /* a #NPF or another VM exit where none was predicted */
	if (o->vector == HB_NO_VECTOR)
		return !o->has_value ||
		       (r->value & size_mask(size)) == (o->value & size_mask(size));
	if (r->error_code != o->error_code)
		return false;
	return o->vector != X86_VEC_PF || r->cr2 == o->cr2;
}

const char *host_verdict_name(enum cmp_verdict v)
{
	switch (v) {
	case CMP_MATCH:
		return "match";
	case CMP_EXPLAINED:
		return "explained";
	case CMP_UNEXPLAINED:
		return "UNEXPLAINED";
	case CMP_SKIPPED:
		return "skipped";
	}
	return "?";
}

/* The access size of the ACCESS command a prediction is for (for the value mask). */
static u8 access_size(const struct lower_result *lr, const struct lower_pred *p)
{
	return p->cmd < lr->batch.ncmds ? lr->batch.cmds[p->cmd].size : 8;
}

static void judge(const struct lower_result *lr, const struct lower_pred *p,
		  const struct hb_record *r, const char *runner, struct cmp_item *it)
{
	it->v = CMP_UNEXPLAINED;
	switch (p->op) {
	case HB_OP_MODE:
	case HB_OP_CR3:
	case HB_OP_VMRUN_MODE:
		if (r->status == HB_ST_OK) {
			it->v = CMP_MATCH;
		} else if (r->status == HB_ST_CONFLICT) {
			it->v = CMP_SKIPPED;
			snprintf(it->why, sizeof(it->why), "harness window conflict");
		} else {
			snprintf(it->why, sizeof(it->why), "the probe's CPU answered %s vector %u",
				 hb_status_name(r->status), r->vector);
		}
		return;
	case HB_OP_ACCESS:
	case HB_OP_SMI:
	case HB_OP_RSM:
		for (unsigned i = 0; i < p->noutcomes; i++)
			if (host_outcome_equal(&p->outcomes[i], r, access_size(lr, p))) {
				it->v = CMP_MATCH;
				return;
			}
		break;
	case HB_OP_READ:
		if (r->status == HB_ST_OK &&
		    ((r->value ^ p->value) & size_mask(p->size) & ~p->mask) == 0) {
			it->v = CMP_MATCH;
			return;
		}
		break;
	default:
		break;
	}
	if (r->status != HB_ST_OK) {
		snprintf(it->why, sizeof(it->why), "status %s", hb_status_name(r->status));
		return;
	}
	it->known = host_known_explain(runner, p, r);
	if (it->known)
		it->v = CMP_EXPLAINED;
}

/*
 * A record for a command nobody predicted: unexplained -- unless the image
 * answered HB_ST_NOMODE (an INVLPG or anything needing paging) in the region of
 * a mode that was not entered (@mode_bad), which is part of that skip.
 */
static void unpredicted(struct cmp_item *it, const struct hb_record *rec, const char *mode_bad)
{
	memset(it, 0, sizeof(*it));
	it->pred = UINT32_MAX;
	it->rec = rec;
	if (mode_bad && rec->status == HB_ST_NOMODE) {
		it->v = CMP_SKIPPED;
		snprintf(it->why, sizeof(it->why), "%s", mode_bad);
		return;
	}
	it->v = CMP_UNEXPLAINED;
	snprintf(it->why, sizeof(it->why), "a record nobody predicted");
}

void host_compare(const struct lower_result *lr, const struct hb_record *recs, u32 nrecs,
		  const char *runner, struct cmp_item *items, u32 *nitems, struct cmp_summary *sum)
{
	const char *mode_bad = NULL; /* records under a mode that was not entered */
	bool smm_bad = false; /* records after an SMI the runner did not deliver */
	/* An access explained by a known divergence in which the runner completed a
	 * walk the architecture stops: the entries it read back may differ in A/D. */
	const struct known_divergence *step_known = NULL;
	u32 step_known_step = LOWER_STEP_NONE;
	u32 ri = 0, n = 0;

	memset(sum, 0, sizeof(*sum));
	for (u32 pi = 0; pi < lr->npreds; pi++) {
		const struct lower_pred *p = &lr->preds[pi];
		struct cmp_item *it;

		while (ri < nrecs && recs[ri].cmd < p->cmd)
			unpredicted(&items[n++], &recs[ri++], mode_bad);
		it = &items[n++];
		memset(it, 0, sizeof(*it));
		it->pred = pi;
		if (ri < nrecs && recs[ri].cmd == p->cmd)
			it->rec = &recs[ri++];
		/* A new MODE ends the region of a mode that was not entered; a CR3
		 * load in such a region has no mode to load into (the image answers
		 * HB_ST_NOMODE) and stays in it. */
		if (p->op == HB_OP_MODE ||
		    (p->op == HB_OP_CR3 &&
		     !(mode_bad && it->rec && it->rec->status == HB_ST_NOMODE)))
			mode_bad = NULL;
		if (smm_bad) {
			/* up to and with the RSM: the image never entered SMM */
			it->v = CMP_SKIPPED;
			snprintf(it->why, sizeof(it->why), "the runner delivered no SMI");
			smm_bad = p->op != HB_OP_RSM;
		} else if (mode_bad) {
			it->v = CMP_SKIPPED;
			snprintf(it->why, sizeof(it->why), "%s", mode_bad);
		} else if (!it->rec) {
			it->v = CMP_UNEXPLAINED;
			snprintf(it->why, sizeof(it->why), "no record");
		} else {
			judge(lr, p, it->rec, runner, it);
			if (p->op == HB_OP_ACCESS) {
				step_known = it->v == CMP_EXPLAINED ? it->known : NULL;
				step_known_step = p->step;
			} else if (p->op == HB_OP_READ && it->v == CMP_UNEXPLAINED && step_known &&
				   p->step == step_known_step && it->rec->status == HB_ST_OK &&
				   !((it->rec->value ^ p->value) & size_mask(p->size) & ~0x60ULL)) {
				it->v = CMP_EXPLAINED;
				it->known = step_known;
			}
			/* A runner without SMM (qemu-kvm on a KVM without it) answers
			 * an SMI with REFUSED and no vector: a skip. Not under TCG,
			 * whose -cpu max takes the SMI (docs/host.md "SMM"). */
			if (p->op == HB_OP_SMI && it->rec->status == HB_ST_REFUSED &&
			    it->rec->vector == HB_NO_VECTOR && runner &&
			    strcmp(runner, "qemu-tcg")) {
				it->v = CMP_SKIPPED;
				snprintf(it->why, sizeof(it->why), "the runner delivered no SMI");
				smm_bad = true;
			}
			if ((p->op == HB_OP_MODE || p->op == HB_OP_CR3 ||
			     p->op == HB_OP_VMRUN_MODE) &&
			    it->rec->status != HB_ST_OK)
				mode_bad = it->rec->status == HB_ST_CONFLICT
						   ? "harness window conflict (mode not entered)"
						   : "mode refused";
		}
	}
	while (ri < nrecs)
		unpredicted(&items[n++], &recs[ri++], mode_bad);
	for (u32 i = 0; i < n; i++) {
		switch (items[i].v) {
		case CMP_MATCH:
			sum->match++;
			break;
		case CMP_EXPLAINED:
			sum->explained++;
			break;
		case CMP_UNEXPLAINED:
			sum->unexplained++;
			break;
		case CMP_SKIPPED:
			sum->skipped++;
			break;
		}
	}
	*nitems = n;
}
