/* SPDX-License-Identifier: MIT */
/*
 * sim_clone() and the timeline (sim/view.h) against fresh runs: for every
 * scenario under scenarios/, a timeline seeked to N (forwards, and backwards
 * end -> N -> N-1 -> 0 -> end) is in the state of a fresh run to N (views,
 * snapshot, KVM stats, TLBs), and a clone of it runs on to the end with the
 * same trace, byte for byte, as the fresh run; a clone taken mid-run and its
 * original give the same trace. Then a generated 100,000-step scenario.
 */
#include "sim/view.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/timeline_gen.h"
#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/tlb.h"

/* ---- a trace recorder: every event's line, and where each step starts ---- */

struct rec {
	char *text;
	size_t len, cap;
	size_t *step_off; /* step_off[s]: offset of step s's first line */
	u32 nsteps, marked;
};

static void rec_init(struct rec *r, u32 nsteps)
{
	memset(r, 0, sizeof(*r));
	r->nsteps = nsteps;
	r->step_off = calloc((size_t)nsteps + 2, sizeof(*r->step_off));
	assert_non_null(r->step_off);
}

static void rec_free(struct rec *r)
{
	free(r->text);
	free(r->step_off);
}

static void rec_mark(struct rec *r, u32 upto)
{
	while (r->marked <= upto && r->marked <= r->nsteps + 1)
		r->step_off[r->marked++] = r->len;
}

static void rec_sink(void *ctx, const struct sim_event *ev)
{
	struct rec *r = ctx;
	int n = sim_event_format(ev, NULL, 0);

	assert_true(n >= 0);
	rec_mark(r, ev->step);
	if (r->len + (size_t)n + 2 > r->cap) {
		size_t ncap = r->cap ? r->cap : 1 << 16;

		while (ncap < r->len + (size_t)n + 2)
			ncap *= 2;
		r->text = realloc(r->text, ncap);
		assert_non_null(r->text);
		r->cap = ncap;
	}
	sim_event_format(ev, r->text + r->len, (size_t)n + 1);
	r->len += (size_t)n;
	r->text[r->len++] = '\n';
}

/* Mark the remaining steps as starting at the end. */
static void rec_done(struct rec *r)
{
	rec_mark(r, r->nsteps + 1);
}

/* ---- state equality: everything a view or an expectation can read ---- */

struct tlb_dump {
	char buf[1 << 15];
	size_t len;
};

static void tlb_dump_fn(void *ctx, const struct tlb_entry *e)
{
	struct tlb_dump *d = ctx;
	int n = snprintf(d->buf + d->len, sizeof(d->buf) - d->len,
			 "%u %u %d %llx %llx %llx %u %u %d %u\n", e->vpid, e->pcid, e->global,
			 (unsigned long long)e->va, (unsigned long long)e->pa,
			 (unsigned long long)e->size, e->acc, e->pkey, e->dirty, e->nested_acc);

	if (n > 0 && (size_t)n < sizeof(d->buf) - d->len)
		d->len += (size_t)n;
}

static const char *const stat_names[] = {
	"mmu_shadow_zapped", "mmu_pte_write",	  "mmu_pde_zapped",
	"mmu_flooded",	     "mmu_recycled",	  "mmu_cache_miss",
	"mmu_unsync",	     "pages_4k",	  "pages_2m",
	"pages_1g",	     "nx_lpage_splits",	  "max_mmu_rmap_size",
	"remote_tlb_flush",  "pf_taken",	  "pf_fixed",
	"pf_emulate",	     "pf_spurious",	  "pf_mmio_spte_created",
	"pf_guest",	     "tlb_flush",	  "invlpg",
	"root_cache_hits",   "root_cache_misses", "root_cache_evictions",
	"context_resets",
};

static void expect_regs_eq(const struct cpu_regs *a, const struct cpu_regs *b)
{
	assert_int_equal(a->cr0, b->cr0);
	assert_int_equal(a->cr2, b->cr2);
	assert_int_equal(a->cr3, b->cr3);
	assert_int_equal(a->cr4, b->cr4);
	assert_int_equal(a->efer, b->efer);
	assert_int_equal(a->rflags, b->rflags);
	assert_int_equal(a->pkru, b->pkru);
	assert_int_equal(a->cpl, b->cpl);
	assert_int_equal(a->cs_l, b->cs_l);
	assert_int_equal(a->smm, b->smm);
	assert_int_equal(a->guest_mode, b->guest_mode);
	assert_memory_equal(a->pdpte, b->pdpte, sizeof(a->pdpte));
}

/* @a and @b (the sim under test and a fresh run) are in the same state. */
static void expect_same_state(const struct sim *a, const struct sim *b, const char *what)
{
	struct sim_snapshot sa, sb;
	size_t na = sim_view_sps(a, NULL, 0), nb = sim_view_sps(b, NULL, 0);
	static u32 ha[SIM_VIEW_HASH_BUCKETS], hb[SIM_VIEW_HASH_BUCKETS];
	struct sim_sp_view *va, *vb;

	sim_snapshot(a, &sa);
	sim_snapshot(b, &sb);
	if (sa.step != sb.step || na != nb)
		fail_msg("%s: step %u vs %u, %zu vs %zu shadow pages", what, sa.step, sb.step, na,
			 nb);
	assert_int_equal(sa.failures, sb.failures);
	assert_int_equal(sa.nvcpus, sb.nvcpus);
	assert_memory_equal(&sa.counters, &sb.counters, sizeof(sa.counters));
	assert_int_equal(sim_audit_violations(a), sim_audit_violations(b));
	for (u16 i = 0; i < sa.nvcpus; i++) {
		struct sim_vcpu_mmu_view ma, mb;
		struct tlb_dump *da = calloc(1, sizeof(*da)), *db = calloc(1, sizeof(*db));

		assert_non_null(da);
		assert_non_null(db);
		expect_regs_eq(&sa.vcpu[i].r, &sb.vcpu[i].r);
		assert_int_equal(sa.vcpu[i].tlb_entries, sb.vcpu[i].tlb_entries);
		tlb_foreach(sim_tlb(a, i), tlb_dump_fn, da);
		tlb_foreach(sim_tlb(b, i), tlb_dump_fn, db);
		assert_int_equal(da->len, db->len);
		assert_memory_equal(da->buf, db->buf, da->len);
		free(da);
		free(db);
		assert_int_equal(sim_view_vcpu_mmu(a, i, &ma), sim_view_vcpu_mmu(b, i, &mb));
		assert_memory_equal(&ma, &mb, sizeof(ma));
		for (size_t k = 0; k < MSC_ARRAY_SIZE(stat_names); k++) {
			u64 x = 0, y = 0;
			bool hx = sim_kvm_stat(a, i, stat_names[k], &x);
			bool hy = sim_kvm_stat(b, i, stat_names[k], &y);

			assert_int_equal(hx, hy);
			if (x != y)
				fail_msg("%s: vcpu %u %s %llu vs %llu", what, (unsigned)i,
					 stat_names[k], (unsigned long long)x,
					 (unsigned long long)y);
		}
	}
	sim_view_hash(a, ha);
	sim_view_hash(b, hb);
	assert_memory_equal(ha, hb, sizeof(ha));
	va = calloc(na + 1, sizeof(*va));
	vb = calloc(nb + 1, sizeof(*vb));
	assert_non_null(va);
	assert_non_null(vb);
	assert_int_equal(sim_view_sps(a, va, na), na);
	assert_int_equal(sim_view_sps(b, vb, nb), nb);
	assert_memory_equal(va, vb, na * sizeof(*va));
	for (size_t k = 0; k < na; k++) {
		static struct sim_spte_view ea[512], eb[512];
		size_t n = sim_view_sptes(a, va[k].hpa, ea, 512);

		assert_int_equal(n, sim_view_sptes(b, vb[k].hpa, eb, 512));
		assert_memory_equal(ea, eb, n * sizeof(ea[0]));
	}
	free(va);
	free(vb);
}

/* ---- one scenario ---- */

/* A fresh sim run to @n steps (muted: no sinks). */
static struct sim *fresh_at(const struct scenario *s, u32 n)
{
	struct scn_error err;
	struct sim *sim;

	assert_int_equal(sim_create(&sim, s, &err), 0);
	assert_true(sim_run(sim, n, &err) >= 0);
	assert_int_equal(sim_steps_done(sim), n);
	return sim;
}

/* Run @sim to the end (or @end steps) with a recorder; compare with @ref from step @n. */
static void expect_trace_from(struct sim *sim, const struct rec *ref, u32 n, u32 end,
			      const char *what)
{
	struct scn_error err;
	struct rec r;
	size_t off = ref->step_off[n];

	rec_init(&r, ref->nsteps);
	assert_int_equal(sim_add_sink(sim, rec_sink, &r), 0);
	assert_true(sim_run(sim, end, &err) >= 0);
	assert_int_equal(sim_steps_done(sim), end);
	if (r.len != ref->len - off || (r.len && memcmp(r.text, ref->text + off, r.len) != 0))
		fail_msg("%s: trace from step %u differs (%zu vs %zu bytes)", what, n, r.len,
			 ref->len - off);
	rec_free(&r);
}

/* The checks of one scenario; @end is how many of its steps run. */
static void check_scenario(const struct scenario *s, const char *name, u32 interval)
{
	struct scn_error err;
	struct sim *ref_sim, *fin;
	struct rec ref;
	u32 end, ns[5];
	char what[512];
	int r;

	/* The reference: a fresh run with a recorder, to the end (or the first error). */
	rec_init(&ref, s->nsteps);
	assert_int_equal(sim_create(&ref_sim, s, &err), 0);
	assert_int_equal(sim_add_sink(ref_sim, rec_sink, &ref), 0);
	r = sim_run(ref_sim, s->nsteps, &err);
	rec_done(&ref);
	end = sim_steps_done(ref_sim);
	if (r < 0)
		ref.len = ref.step_off[end]; /* the failing step's partial lines are not compared */
	ns[0] = 0;
	ns[1] = end ? 1 : 0;
	ns[2] = end / 2;
	ns[3] = end ? end - 1 : 0;
	ns[4] = end;
	fin = ref_sim;

	for (unsigned k = 0; k < 5; k++) {
		struct sim_timeline *tl;
		struct sim *c, *at;
		u32 n = ns[k];

		snprintf(what, sizeof(what), "%s interval %u N %u", name, interval, n);
		/* Forward from step 0 to N, then a clone of the timeline's sim runs on. */
		assert_int_equal(sim_timeline_create(&tl, s, interval, 0, &err), 0);
		assert_int_equal(sim_timeline_seek(tl, n, &err), 0);
		at = fresh_at(s, n);
		expect_same_state(sim_timeline_sim(tl), at, what);
		assert_int_equal(sim_clone(sim_timeline_sim(tl), &c), 0);
		expect_trace_from(c, &ref, n, end, what);
		expect_same_state(c, fin, what);
		sim_destroy(c);

		/* Backwards: end -> N -> N-1 -> 0 -> end. */
		assert_int_equal(sim_timeline_seek(tl, end, &err), 0);
		expect_same_state(sim_timeline_sim(tl), fin, what);
		assert_int_equal(sim_timeline_seek(tl, n, &err), 0);
		expect_same_state(sim_timeline_sim(tl), at, what);
		sim_destroy(at);
		if (n) {
			assert_int_equal(sim_timeline_seek(tl, n - 1, &err), 0);
			at = fresh_at(s, n - 1);
			expect_same_state(sim_timeline_sim(tl), at, what);
			sim_destroy(at);
		}
		assert_int_equal(sim_timeline_seek(tl, 0, &err), 0);
		at = fresh_at(s, 0);
		expect_same_state(sim_timeline_sim(tl), at, what);
		sim_destroy(at);
		/* The restored sim runs on with the fresh run's trace. */
		assert_int_equal(sim_clone(sim_timeline_sim(tl), &c), 0);
		expect_trace_from(c, &ref, 0, end, what);
		sim_destroy(c);
		assert_int_equal(sim_timeline_seek(tl, end, &err), 0);
		expect_same_state(sim_timeline_sim(tl), fin, what);
		sim_timeline_destroy(tl);
	}

	/* A clone taken mid-run: it and its original give the same trace. */
	{
		u32 mid = end / 2;
		struct sim *orig = fresh_at(s, mid), *c;

		snprintf(what, sizeof(what), "%s clone at %u", name, mid);
		assert_int_equal(sim_clone(orig, &c), 0);
		expect_same_state(c, orig, what);
		expect_trace_from(orig, &ref, mid, end, what);
		expect_trace_from(c, &ref, mid, end, what);
		expect_same_state(c, orig, what);
		sim_destroy(c);
		sim_destroy(orig);
	}
	sim_destroy(ref_sim);
	rec_free(&ref);
}

/* ---- every scenario under scenarios/ ---- */

struct names {
	char **v;
	size_t n, cap;
};

static void walk_dir(const char *dir, struct names *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk_dir(path, out);
			continue;
		}
		if (len < 5 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
			assert_non_null(out->v);
		}
		out->v[out->n++] = strdup(path);
	}
	closedir(d);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_scenario_seeks_exactly(void **state)
{
	struct names names = {0};

	(void)state;
	walk_dir(MSC_SOURCE_DIR "/scenarios", &names);
	qsort(names.v, names.n, sizeof(*names.v), str_cmp);
	assert_true(names.n >= 40);
	for (size_t i = 0; i < names.n; i++) {
		struct scenario s;
		struct scn_error err;

		assert_int_equal(scn_load_file(names.v[i], &s, &err), 0);
		/* interval 1: a checkpoint at every step; 3: restores plus replays;
		 * 0: the default. */
		check_scenario(&s, names.v[i], 1);
		check_scenario(&s, names.v[i], 3);
		check_scenario(&s, names.v[i], 0);
		scn_free(&s);
		free(names.v[i]);
	}
	free(names.v);
}

/*
 * gmem_clone(): a sparse 64 GiB slot costs what was written; the copy has the
 * same contents and dirty log, an alias in the other address space shares the
 * copy's backing, and the two are independent afterwards. hmem_clone(): the
 * same pages and the same next hpa.
 */
static void test_memory_clones_are_sparse_and_independent(void **state)
{
	const u64 slot = 64ULL << 30, nbytes = (slot >> 12) / 8;
	struct gmem_slot_desc d0 = {
		.as = 0, .id = 0, .base = 0, .size = slot, .flags = GMEM_SLOT_DIRTY_LOG};
	struct gmem_slot_desc d1 = {.as = 1,
				    .id = 3,
				    .base = 0x30000,
				    .size = 0x10000,
				    .alias = true,
				    .alias_as = 0,
				    .alias_id = 0,
				    .alias_offset = 0x30000};
	u8 *la = malloc(nbytes), *lb = malloc(nbytes);
	struct gmem *a, *b;
	struct hmem *ha, *hb;
	hpa_t p1, p2, p3, pa, pb;
	u64 bytes = 0, v;

	(void)state;
	assert_non_null(la);
	assert_non_null(lb);
	assert_int_equal(gmem_create(&a, 0), 0);
	assert_int_equal(gmem_slot_add(a, &d0), 0);
	assert_int_equal(gmem_slot_add(a, &d1), 0);
	for (u64 i = 0; i < 100; i++)
		assert_int_equal(gmem_write64(a, 0, ((i * 104729) % (slot >> 12)) << 12, i + 1), 0);
	assert_int_equal(gmem_write64(a, 0, 0x30008, 0xabcd), 0);
	assert_int_equal(gmem_read64(a, 0, 40ULL << 30, &v), 0); /* a read: no copy */
	assert_int_equal(gmem_clone(&b, a, NULL, &bytes), 0);
	/* 101 data pages and the dirty bitmap's touched pages, not 64 GiB */
	if (bytes < 101 * 4096 || bytes > 300 * 4096)
		fail_msg("gmem_clone copied %llu bytes", (unsigned long long)bytes);
	for (u64 i = 0; i < 100; i++) {
		assert_int_equal(gmem_read64(b, 0, ((i * 104729) % (slot >> 12)) << 12, &v), 0);
		assert_int_equal(v, i + 1);
	}
	assert_int_equal(gmem_read64(b, 1, 0x30008, &v), 0); /* through the alias */
	assert_int_equal(v, 0xabcd);
	assert_int_equal(gmem_generation(b, 0), gmem_generation(a, 0));
	assert_int_equal(gmem_generation(b, 1), gmem_generation(a, 1));
	/* independent: a write to the copy (through its alias) is not in the original */
	assert_int_equal(gmem_write64(b, 1, 0x30010, 0x77), 0);
	assert_int_equal(gmem_read64(b, 0, 0x30010, &v), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(gmem_read64(a, 0, 0x30010, &v), 0);
	assert_int_equal(v, 0);
	/* the same dirty log (that write hit page 0x30, dirty in both already) */
	assert_int_equal(gmem_get_dirty_log(a, 0, 0, la, nbytes), 0);
	assert_int_equal(gmem_get_dirty_log(b, 0, 0, lb, nbytes), 0);
	assert_true(la[0x30 / 8] & (1u << (0x30 % 8)));
	assert_memory_equal(la, lb, nbytes);
	gmem_destroy(b);
	gmem_destroy(a);
	free(la);
	free(lb);

	assert_int_equal(hmem_create(&ha, 1024), 0);
	assert_int_equal(hmem_alloc_page(ha, &p1), 0);
	assert_int_equal(hmem_alloc_page(ha, &p2), 0);
	assert_int_equal(hmem_alloc_page(ha, &p3), 0);
	hmem_free_page(ha, p2);
	*(u64 *)hmem_ptr(ha, p3 + 8) = 0x1234;
	assert_int_equal(hmem_clone(&hb, ha, &bytes), 0);
	assert_int_equal(hmem_used_pages(hb), 2);
	assert_int_equal(*(u64 *)hmem_ptr(hb, p3 + 8), 0x1234);
	assert_null(hmem_ptr(hb, p2));
	assert_int_equal(hmem_alloc_page(ha, &pa), 0);
	assert_int_equal(hmem_alloc_page(hb, &pb), 0);
	assert_int_equal(pa, p2);
	assert_int_equal(pb, p2);
	*(u64 *)hmem_ptr(hb, p1) = 5;
	assert_int_equal(*(u64 *)hmem_ptr(ha, p1), 0);
	hmem_destroy(hb);
	hmem_destroy(ha);
}

/* A seek beyond the end stops there and says so. */
static void test_seek_past_end_returns_1(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim_timeline *tl;
	u32 cps, iv;
	u64 bytes;

	(void)state;
	assert_int_equal(
		scn_load_file(MSC_SOURCE_DIR "/scenarios/mmu/01-cr3-root-cache.json", &s, &err), 0);
	assert_int_equal(sim_timeline_create(&tl, &s, 2, 0, &err), 0);
	assert_int_equal(sim_timeline_seek(tl, s.nsteps + 5, &err), 1);
	assert_int_equal(sim_steps_done(sim_timeline_sim(tl)), s.nsteps);
	sim_timeline_stats(tl, &cps, &iv, &bytes);
	assert_int_equal(iv, 2);
	assert_int_equal(cps, s.nsteps / 2 + 1);
	assert_true(bytes > 0);
	sim_timeline_destroy(tl);
	scn_free(&s);
}

/* A memory bound below what the checkpoints need doubles the interval and keeps
 * the checkpoints on the wider grid; seeks stay exact. */
static void test_memory_bound_doubles_interval(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim_timeline *tl;
	struct sim *at;
	u32 cps, iv, cps1, iv1;
	u64 bytes, bytes1;

	(void)state;
	assert_int_equal(tlg_load(&s, 600, 7, false), 0);
	assert_int_equal(sim_timeline_create(&tl, &s, 10, 0, &err), 0);
	assert_int_equal(sim_timeline_seek(tl, 600, &err), 0);
	sim_timeline_stats(tl, &cps1, &iv1, &bytes1);
	assert_int_equal(iv1, 10);
	assert_int_equal(cps1, 61);
	sim_timeline_destroy(tl);

	assert_int_equal(sim_timeline_create(&tl, &s, 10, bytes1 / 5, &err), 0);
	assert_int_equal(sim_timeline_seek(tl, 600, &err), 0);
	sim_timeline_stats(tl, &cps, &iv, &bytes);
	assert_true(bytes <= bytes1 / 5 || cps == 1);
	assert_true(iv >= 40);
	assert_true(cps < cps1);
	assert_int_equal(sim_timeline_seek(tl, 333, &err), 0);
	at = fresh_at(&s, 333);
	expect_same_state(sim_timeline_sim(tl), at, "bounded 333");
	sim_destroy(at);
	sim_timeline_destroy(tl);
	scn_free(&s);
}

/*
 * A generated scenario of @total steps: the timeline runs forward to the end
 * (placing its checkpoints), then seeks back to a few points, each time from
 * further on, and must equal one fresh run advanced to each point in turn; a
 * clone of the timeline's sim at a late point and the fresh run then record the
 * rest of the trace: the same bytes.
 */
static void check_long(u32 total, bool ept, u32 want_interval)
{
	const u32 points[] = {0, 1234, total / 2 - 1, total / 2, total - 2223, total - 1};
	struct scenario s;
	struct scn_error err;
	struct sim_timeline *tl;
	struct sim *fresh, *c = NULL;
	struct rec r0, r1;
	u32 cps, iv;
	u64 bytes;

	assert_int_equal(tlg_load(&s, total, 42, ept), 0);
	assert_int_equal(s.nsteps, total);
	assert_int_equal(sim_timeline_create(&tl, &s, 0, 0, &err), 0);
	assert_int_equal(sim_timeline_seek(tl, total, &err), 0);
	sim_timeline_stats(tl, &cps, &iv, &bytes);
	assert_int_equal(iv, want_interval);
	assert_int_equal(cps, total / iv + 1);
	assert_int_equal(sim_create(&fresh, &s, &err), 0);
	rec_init(&r0, total);
	rec_init(&r1, total);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(points); i++) {
		u32 p = points[i];
		char what[64];

		snprintf(what, sizeof(what), "long %s at %u", ept ? "ept" : "shadow", p);
		assert_int_equal(sim_run(fresh, p, &err), 0);
		/* from beyond the point: a seek back */
		assert_int_equal(sim_timeline_seek(tl, p + 1500 < total ? p + 1500 : total, &err),
				 0);
		assert_int_equal(sim_timeline_seek(tl, p, &err), 0);
		expect_same_state(sim_timeline_sim(tl), fresh, what);
		if (p == total - 2223) {
			/* from here on both record: the clone and the fresh run */
			assert_int_equal(sim_clone(sim_timeline_sim(tl), &c), 0);
			assert_int_equal(sim_add_sink(c, rec_sink, &r1), 0);
			assert_int_equal(sim_add_sink(fresh, rec_sink, &r0), 0);
		}
	}
	assert_non_null(c);
	assert_int_equal(sim_run(fresh, total, &err), 0);
	assert_int_equal(sim_run(c, total, &err), 0);
	assert_true(r0.len > 0);
	if (r0.len != r1.len || memcmp(r0.text, r1.text, r0.len) != 0)
		fail_msg("long %s: the clone's trace differs (%zu vs %zu bytes)",
			 ept ? "ept" : "shadow", r1.len, r0.len);
	expect_same_state(c, fresh, "long tail end");
	assert_int_equal(sim_timeline_seek(tl, total, &err), 0);
	expect_same_state(sim_timeline_sim(tl), fresh, "long end");
	sim_destroy(c);
	sim_destroy(fresh);
	sim_timeline_destroy(tl);
	rec_free(&r0);
	rec_free(&r1);
	scn_free(&s);
}

static void test_long_generated_shadow(void **state)
{
	(void)state;
	check_long(100000, false, 1000);
}

static void test_long_generated_ept(void **state)
{
	(void)state;
	check_long(20000, true, 312);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_clones_are_sparse_and_independent),
		cmocka_unit_test(test_seek_past_end_returns_1),
		cmocka_unit_test(test_memory_bound_doubles_interval),
		cmocka_unit_test(test_every_scenario_seeks_exactly),
		cmocka_unit_test(test_long_generated_shadow),
		cmocka_unit_test(test_long_generated_ept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
