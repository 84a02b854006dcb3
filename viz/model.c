/* SPDX-License-Identifier: MIT */
/* The model: a recording run of a scenario, and the state captured at a step. */
#include "viz/model.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

static const char *const evk_names[VIZ_EVK_COUNT] = {
	"fault",      "vmexit",	     "root-cache miss", "zap", "unsync",
	"divergence", "expect-fail", "tlb flush",	"smm", "nested",
};

const char *viz_evk_name(enum viz_evk k)
{
	return (unsigned)k < VIZ_EVK_COUNT ? evk_names[k] : "?";
}

/* The names sim_kvm_stat() accepts (sim/engine_mmu.c, docs/trace-format.md). */
const char *const viz_stat_names[VIZ_NSTATS] = {
	"mmu_shadow_zapped",
	"mmu_pte_write",
	"mmu_pde_zapped",
	"mmu_flooded",
	"mmu_recycled",
	"mmu_cache_miss",
	"mmu_unsync",
	"pages_4k",
	"pages_2m",
	"pages_1g",
	"nx_lpage_splits",
	"max_mmu_rmap_size",
	"max_mmu_page_hash_collisions",
	"remote_tlb_flush",
	"remote_tlb_flush_requests",
	"pf_taken",
	"pf_fixed",
	"pf_emulate",
	"pf_spurious",
	"pf_fast",
	"pf_mmio_spte_created",
	"pf_guest",
	"tlb_flush",
	"invlpg",
	"root_cache_hits",
	"root_cache_misses",
	"root_cache_evictions",
	"context_resets",
};

/* ---- the recording ---- */

struct rec_ctx {
	struct viz_rec *rec;
	u32 nsteps;
	bool oom;
};

static void rec_append_line(struct rec_ctx *c, struct viz_step_rec *sr, const char *line,
			    size_t len)
{
	struct viz_rec *rec = c->rec;

	if (sr->nlines >= VIZ_REC_MAX_LINES) {
		sr->dropped++;
		return;
	}
	if (rec->tlen + len + 1 > rec->tcap) {
		u64 cap = rec->tcap ? rec->tcap : 65536;
		char *p;

		while (cap < rec->tlen + len + 1)
			cap *= 2;
		p = realloc(rec->text, cap);
		if (!p) {
			c->oom = true;
			return;
		}
		rec->text = p;
		rec->tcap = cap;
	}
	memcpy(rec->text + rec->tlen, line, len);
	rec->text[rec->tlen + len] = 0;
	rec->tlen += len + 1;
	sr->nlines++;
}

/* "[s3 v0] name: payload" -> "v0 name: payload", line by line. */
static void rec_add_text(struct rec_ctx *c, struct viz_step_rec *sr, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char buf[512];
		size_t k = 0;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, text, len);
		buf[len] = 0;
		if (buf[0] == '[') {
			char *sp = strchr(buf, ' '), *close = strstr(buf, "] ");

			if (sp && close && sp < close) {
				size_t vlen = (size_t)(close - sp - 1);

				memmove(buf, sp + 1, vlen);
				buf[vlen] = ' ';
				k = vlen + 1;
				memmove(buf + k, close + 2, strlen(close + 2) + 1);
			}
		}
		rec_append_line(c, sr, buf, strlen(buf));
		text = nl ? nl + 1 : text + strlen(text);
	}
}

static void rec_sink(void *ctx, const struct sim_event *ev)
{
	struct rec_ctx *c = ctx;
	struct viz_step_rec *sr;
	char buf[4096];
	int len;

	if (ev->step >= c->nsteps)
		return;
	sr = &c->rec->steps[ev->step];
	if (sr->nlines == 0 && sr->line_off == 0)
		sr->line_off = c->rec->tlen;
	len = sim_event_format(ev, buf, sizeof(buf));
	if (len > 0)
		rec_add_text(c, sr, buf);
	switch (ev->kind) {
	case SIM_EV_ACCESS:
		if (ev->u.access.fault != SCN_FAULT_NONE)
			sr->kinds |= 1u << VIZ_EVK_FAULT;
		break;
	case SIM_EV_VMEXIT:
		sr->kinds |= 1u << VIZ_EVK_VMEXIT;
		break;
	case SIM_EV_DIVERGENCE:
		sr->kinds |= 1u << VIZ_EVK_DIVERGENCE;
		break;
	case SIM_EV_EXPECT_FAIL:
		sr->kinds |= 1u << VIZ_EVK_EXPECT_FAIL;
		break;
	case SIM_EV_TLB_FLUSH:
		sr->kinds |= 1u << VIZ_EVK_FLUSH;
		break;
	case SIM_EV_SMM:
		sr->kinds |= 1u << VIZ_EVK_SMM;
		break;
	case SIM_EV_NESTED:
		sr->kinds |= 1u << VIZ_EVK_NESTED;
		break;
	case SIM_EV_INSN:
		snprintf(sr->insn, sizeof(sr->insn), "%s", ev->u.insn.text ? ev->u.insn.text : "");
		break;
	case SIM_EV_WALK: {
		const struct walk_result *r = ev->u.walk.res;

		sr->walk = true;
		sr->walk_ok = r->ok;
		sr->walk_vcpu = ev->vcpu;
		sr->walk_addr = ev->u.walk.req->addr;
		sr->walk_n = 0;
		for (u32 i = 0; i < r->nsteps && sr->walk_n < 5; i++)
			if (r->steps[i].stage == 0)
				sr->walk_pte[sr->walk_n++] = r->steps[i].pte_addr;
		break;
	}
	case SIM_EV_MMU:
		if (len <= 0)
			break;
		if (strstr(buf, "mmuscope_root_cache: miss")) {
			sr->kinds |= 1u << VIZ_EVK_RC_MISS;
			sr->rc_misses++;
		} else if (strstr(buf, "mmuscope_root_cache: hit")) {
			sr->rc_hits++;
		} else if (strstr(buf, "mmuscope_root_cache: evict")) {
			sr->rc_evicts++;
		}
		if (strstr(buf, "zap"))
			sr->kinds |= 1u << VIZ_EVK_ZAP;
		if (strstr(buf, "kvm_mmu_unsync_page"))
			sr->kinds |= 1u << VIZ_EVK_UNSYNC;
		break;
	case SIM_EV_STEP:
	case SIM_EV_REG_WRITE:
	case SIM_EV_PT_WRITE:
	case SIM_EV_MEM_WRITE:
	case SIM_EV_MEM_READ:
	case SIM_EV_TLB_HIT:
	case SIM_EV_TLB_FILL:
	case SIM_EV_MEMSLOT:
	case SIM_EV_PRE_FAULT:
		break;
	}
}

int viz_rec_build(struct viz_rec *rec, const struct scenario *s, struct scn_error *err)
{
	struct rec_ctx c = {.rec = rec, .nsteps = s->nsteps};
	struct sim *sim = NULL;
	int ret;

	memset(rec, 0, sizeof(*rec));
	rec->steps = calloc(s->nsteps ? s->nsteps : 1, sizeof(*rec->steps));
	if (!rec->steps)
		return MSC_ENOMEM;
	ret = sim_create(&sim, s, err);
	if (ret)
		goto out;
	ret = sim_add_sink(sim, rec_sink, &c);
	if (ret)
		goto out;
	for (;;) {
		struct scn_error e;

		ret = sim_step(sim, &e);
		if (ret == 1) {
			ret = 0;
			break;
		}
		if (ret < 0) {
			rec->err = ret;
			ret = 0;
			break;
		}
		rec->nsteps++;
		if (c.oom)
			break;
	}
	if (c.oom)
		ret = MSC_ENOMEM;
out:
	sim_destroy(sim);
	if (ret)
		viz_rec_free(rec);
	return ret;
}

void viz_rec_free(struct viz_rec *rec)
{
	free(rec->steps);
	free(rec->text);
	memset(rec, 0, sizeof(*rec));
}

const char *viz_rec_line(const struct viz_rec *rec, u32 step, u32 i)
{
	const char *p;

	if (!rec || step >= rec->nsteps || i >= rec->steps[step].nlines)
		return "";
	p = rec->text + rec->steps[step].line_off;
	while (i--)
		p += strlen(p) + 1;
	return p;
}

/* ---- the captured state ---- */

void viz_model_init(struct viz_model *m)
{
	memset(m, 0, sizeof(*m));
}

void viz_model_free(struct viz_model *m)
{
	free(m->sps);
	free(m->child_off);
	free(m->child);
	free(m->child_slot);
	free(m->parented);
	free(m->bucket_sp);
	free(m->by_hpa);
	free(m->top);
	free(m->tlb);
	viz_model_init(m);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void *q;

	if (need <= *cap)
		return 0;
	q = realloc(*p, need * elem);
	if (!q)
		return MSC_ENOMEM;
	*p = q;
	*cap = need;
	return 0;
}

static const struct viz_model *sort_model;

static int cmp_hpa(const void *a, const void *b)
{
	u64 x = sort_model->sps[*(const u32 *)a].hpa, y = sort_model->sps[*(const u32 *)b].hpa;

	return x < y ? -1 : x > y;
}

long viz_model_sp_by_hpa(const struct viz_model *m, u64 hpa)
{
	size_t lo = 0, hi = m->nsps;

	if (!m->by_hpa)
		return -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		u64 v = m->sps[m->by_hpa[mid]].hpa;

		if (v == hpa)
			return (long)m->by_hpa[mid];
		if (v < hpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Who has a parent, and from that the tree's top rows. */
static int mark_parents(struct viz_model *m)
{
	size_t n = m->nsps ? m->nsps : 1;

	free(m->parented);
	free(m->top);
	m->ntop = 0;
	m->parented = calloc(n, 1);
	m->top = malloc(n * sizeof(u32));
	if (!m->parented || !m->top)
		return MSC_ENOMEM;
	if (m->child_off)
		for (size_t k = 0; k < m->child_off[m->nsps]; k++)
			if (m->child[k] < m->nsps)
				m->parented[m->child[k]] = 1;
	for (size_t i = 0; i < m->nsps; i++)
		if (m->sps[i].root_count > 0)
			m->top[m->ntop++] = (u32)i;
	for (size_t i = 0; i < m->nsps; i++)
		if (!m->sps[i].root_count && !m->parented[i])
			m->top[m->ntop++] = (u32)i;
	return 0;
}

int viz_model_index(struct viz_model *m)
{
	size_t n = m->nsps ? m->nsps : 1;
	u32 *fill;

	m->indexed = false;
	free(m->bucket_sp);
	free(m->by_hpa);
	m->bucket_sp = malloc(n * sizeof(u32));
	m->by_hpa = malloc(n * sizeof(u32));
	fill = calloc(SIM_VIEW_HASH_BUCKETS, sizeof(u32));
	if (!m->bucket_sp || !m->by_hpa || !fill) {
		free(fill);
		return MSC_ENOMEM;
	}
	memset(m->hash, 0, sizeof(m->hash));
	/* TDP MMU pages are on no hash chain (kvm_tdp_mmu_alloc_sp()). */
	for (size_t i = 0; i < m->nsps; i++)
		if (!m->sps[i].tdp_mmu)
			m->hash[m->sps[i].bucket % SIM_VIEW_HASH_BUCKETS]++;
	m->bucket_off[0] = 0;
	for (u32 b = 0; b < SIM_VIEW_HASH_BUCKETS; b++)
		m->bucket_off[b + 1] = m->bucket_off[b] + m->hash[b];
	for (size_t i = 0; i < m->nsps; i++) {
		u32 b = m->sps[i].bucket % SIM_VIEW_HASH_BUCKETS;

		if (!m->sps[i].tdp_mmu)
			m->bucket_sp[m->bucket_off[b] + fill[b]++] = (u32)i;
		m->by_hpa[i] = (u32)i;
	}
	free(fill);
	m->nroots = m->nunsync = 0;
	m->hash_used = m->hash_total = m->hash_longest = 0;
	memset(m->bucket_unsync, 0, sizeof(m->bucket_unsync));
	for (size_t i = 0; i < m->nsps; i++) {
		m->nroots += m->sps[i].root_count > 0;
		m->nunsync += m->sps[i].unsync;
	}
	for (u32 b = 0; b < SIM_VIEW_HASH_BUCKETS; b++) {
		m->hash_used += m->hash[b] > 0;
		m->hash_total += m->hash[b];
		if (m->hash[b] > m->hash_longest)
			m->hash_longest = m->hash[b];
		for (u32 k = m->bucket_off[b]; k < m->bucket_off[b + 1]; k++)
			m->bucket_unsync[b] |= m->sps[m->bucket_sp[k]].unsync;
	}
	m->indexed = true;
	sort_model = m;
	qsort(m->by_hpa, m->nsps, sizeof(u32), cmp_hpa);
	sort_model = NULL;
	return mark_parents(m);
}

struct tlb_ctx {
	struct viz_model *m;
	bool oom;
};

static void tlb_cb(void *ctx, const struct tlb_entry *e)
{
	struct tlb_ctx *c = ctx;
	struct viz_model *m = c->m;

	if (grow((void **)&m->tlb, &m->tlb_cap, m->ntlb + 1 < 64 ? 64 : 2 * m->ntlb, sizeof(*e))) {
		c->oom = true;
		return;
	}
	m->tlb[m->ntlb++] = *e;
}

static int capture_edges(struct viz_model *m, const struct sim *sim)
{
	struct sim_spte_view *sv = malloc(512 * sizeof(*sv));
	int ret = 0;

	if (!sv)
		return MSC_ENOMEM;
	m->nchild = 0;
	free(m->child_off);
	m->child_off = calloc(m->nsps + 1, sizeof(u32));
	if (!m->child_off) {
		ret = MSC_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m->nsps; i++) {
		size_t k = 0;

		m->child_off[i] = (u32)m->nchild;
		if (m->sps[i].level > 1 && m->sps[i].children)
			k = sim_view_sptes(sim, m->sps[i].hpa, sv, 512);
		if (k > 512)
			k = 512;
		for (size_t j = 0; j < k; j++) {
			long c;

			if (sv[j].leaf || !sv[j].child_hpa)
				continue;
			c = viz_model_sp_by_hpa(m, sv[j].child_hpa);
			if (c < 0)
				continue;
			if (m->nchild == m->child_cap) {
				size_t cap = m->child_cap ? 2 * m->child_cap : 256,
				       c2 = m->child_cap;

				if (grow((void **)&m->child, &m->child_cap, cap, sizeof(u32)) ||
				    grow((void **)&m->child_slot, &c2, cap, sizeof(u16))) {
					ret = MSC_ENOMEM;
					goto out;
				}
			}
			m->child[m->nchild] = (u32)c;
			m->child_slot[m->nchild] = sv[j].index;
			m->nchild++;
		}
	}
	m->child_off[m->nsps] = (u32)m->nchild;
	ret = mark_parents(m);
out:
	free(sv);
	return ret;
}

int viz_model_capture(struct viz_model *m, const struct sim *sim, const struct scenario *s,
		      const struct viz_rec *rec)
{
	const struct cpu_features *f = sim_features(sim);
	struct tlb_ctx tc = {.m = m};
	size_t n;
	int ret;

	m->scn = s;
	m->rec = rec;
	m->sim = sim;
	m->gmem = sim_gmem(sim);
	m->nsteps = s ? s->nsteps : 0;
	sim_snapshot(sim, &m->snap);
	m->step = m->snap.step;
	for (u16 v = 0; v < m->snap.nvcpus; v++) {
		walk_cfg_from_regs(&m->cfg[v], &m->snap.vcpu[v].r, f);
		m->has_l2_tdp[v] = sim_view_nested_tdp(sim, v, &m->l2_tdp[v]);
		m->stat_ok[v] = true;
		for (u32 i = 0; i < VIZ_NSTATS; i++)
			if (!sim_kvm_stat(sim, v, viz_stat_names[i], &m->stats[v][i]))
				m->stat_ok[v] = false;
		if (!sim_view_vcpu_mmu(sim, v, &m->mmu[v]))
			memset(&m->mmu[v], 0, sizeof(m->mmu[v]));
	}
	m->has_mmu = m->snap.nvcpus && m->stat_ok[0];
	n = sim_view_sps(sim, NULL, 0);
	if (grow((void **)&m->sps, &m->sps_cap, n ? n : 1, sizeof(*m->sps)))
		return MSC_ENOMEM;
	m->nsps = sim_view_sps(sim, m->sps, n);
	if (m->nsps > n)
		m->nsps = n;
	free(m->child_off);
	m->child_off = NULL;
	m->nchild = 0;
	ret = viz_model_index(m);
	if (ret)
		return ret;
	ret = capture_edges(m, sim);
	if (ret)
		return ret;
	m->ntlb = 0;
	for (u16 v = 0; v < m->snap.nvcpus; v++) {
		m->tlb_off[v] = m->ntlb;
		tlb_foreach(sim_tlb(sim, v), tlb_cb, &tc);
	}
	m->tlb_off[m->snap.nvcpus] = m->ntlb;
	return tc.oom ? MSC_ENOMEM : 0;
}
