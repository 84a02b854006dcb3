/* SPDX-License-Identifier: MIT */
/*
 * The views of KVM's MMU state (sim/view.h) on real scenarios: the shadow pages
 * of scenarios/mmu/01-cr3-root-cache.json (checked by hand against its trace),
 * its roots and prev_roots after the last switch, hash occupancy, the SPTEs of a
 * root and a leaf table; and over every scenarios/mmu/ scenario step by step, the
 * views agree with the scenario's own expect.shadow_pages numbers and with
 * each other (hash sums, children, child pointers).
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

#include "cpu/err.h"

#define SCN_DIR MSC_SOURCE_DIR "/scenarios/mmu/"

static struct sim *run_file(const char *path, struct scenario *s)
{
	struct scn_error err;
	struct sim *sim;

	assert_int_equal(scn_load_file(path, s, &err), 0);
	assert_int_equal(sim_create(&sim, s, &err), 0);
	assert_int_equal(sim_run(sim, s->nsteps, &err), 0);
	return sim;
}

/* All shadow pages (calloc'd; *@n their count). */
static struct sim_sp_view *all_sps(const struct sim *sim, size_t *n)
{
	size_t count = sim_view_sps(sim, NULL, 0);
	struct sim_sp_view *v = calloc(count + 1, sizeof(*v));

	assert_non_null(v);
	assert_int_equal(sim_view_sps(sim, v, count), count);
	*n = count;
	return v;
}

/*
 * 01-cr3-root-cache: five address spaces A..E (PML4s at gfn 1..5), each one
 * 4-level path to va 0x400000 built from the pool (gfn 0x100..), each faulted
 * in once: 4 shadow pages per space (trace: 20 kvm_mmu_get_page "new"), in
 * creation order A, B, C, D, E, none zapped.
 */
static void test_root_cache_scenario_shadow_pages(void **state)
{
	struct scenario s;
	struct sim *sim = run_file(SCN_DIR "01-cr3-root-cache.json", &s);
	static const u32 roles[4] = {0x3704, 0x3703, 0x3702, 0x3701}; /* l4 .. l1 */
	struct sim_sp_view *v, one;
	size_t n;
	u32 roots = 0;

	(void)state;
	v = all_sps(sim, &n);
	assert_int_equal(n, 20);
	/* max 1 writes one entry and still returns the count */
	assert_int_equal(sim_view_sps(sim, &one, 1), 20);
	assert_memory_equal(&one, &v[0], sizeof(one));
	for (size_t i = 0; i < n; i++) {
		unsigned space = (unsigned)(i / 4), lvl = (unsigned)(i % 4);

		assert_int_equal(v[i].serial, i);
		assert_int_equal(v[i].role, roles[lvl]);
		assert_int_equal(v[i].level, 4 - lvl);
		assert_false(v[i].direct);
		assert_false(v[i].invalid);
		assert_false(v[i].unsync);
		assert_false(v[i].tdp_mmu);
		assert_false(v[i].obsolete);
		assert_int_equal(v[i].gen, 0);
		/* the PML4 is the space's gfn, the tables below come from the pool */
		assert_int_equal(v[i].gfn, lvl ? 0x100 + space * 3 + lvl - 1 : space + 1);
		/* hash_64(gfn, 12) */
		assert_int_equal(v[i].bucket, (u32)((v[i].gfn * 0x61C8864680B583EBULL) >> 52));
		assert_int_equal(v[i].present, 1);
		assert_int_equal(v[i].children, lvl < 3 ? 1 : 0);
		roots += v[i].root_count;
		/* B (space 1) was evicted: its root is no longer held */
		assert_int_equal(v[i].root_count, !lvl && space != 1 ? 1 : 0);
	}
	assert_int_equal(roots, 4);
	assert_string_equal(v[0].trace, "sp gen 0 gfn 1 l4 8-byte q0 wux nxe ad root 1 sync");
	assert_string_equal(v[4].trace, "sp gen 0 gfn 2 l4 8-byte q0 wux nxe ad root 0 sync");
	assert_string_equal(v[19].trace, "sp gen 0 gfn 10e l1 8-byte q0 wux nxe ad root 0 sync");
	free(v);
	sim_destroy(sim);
	scn_free(&s);
}

/* The hash: every shadow page on the chain of its bucket. */
static void test_root_cache_scenario_hash_occupancy(void **state)
{
	struct scenario s;
	struct sim *sim = run_file(SCN_DIR "01-cr3-root-cache.json", &s);
	static u32 counts[SIM_VIEW_HASH_BUCKETS], want[SIM_VIEW_HASH_BUCKETS];
	struct sim_sp_view *v;
	size_t n;
	u64 sum = 0;

	(void)state;
	v = all_sps(sim, &n);
	for (size_t i = 0; i < n; i++)
		want[v[i].bucket]++;
	sim_view_hash(sim, counts);
	for (unsigned b = 0; b < SIM_VIEW_HASH_BUCKETS; b++)
		sum += counts[b];
	assert_int_equal(sum, 20);
	assert_memory_equal(counts, want, sizeof(counts));
	free(v);
	sim_destroy(sim);
	scn_free(&s);
}

/*
 * The roots after the last CR3 write (0x1000, a miss): KVM's rotation left
 * prev_roots = [C, E, D] (trace: "hit prev 1 pgd 0x3000" made C current with
 * [E, D, B]; the miss for A swapped through them and evicted B, the LRU).
 */
static void test_root_cache_scenario_roots(void **state)
{
	struct scenario s;
	struct sim *sim = run_file(SCN_DIR "01-cr3-root-cache.json", &s);
	static const u64 pgd[4] = {0x1000, 0x3000, 0x5000, 0x4000};
	struct sim_vcpu_mmu_view mv;
	const struct sim_root_view *r[4];
	struct sim_sp_view *v;
	size_t n;

	(void)state;
	v = all_sps(sim, &n);
	assert_false(sim_view_vcpu_mmu(sim, 1, &mv)); /* one vCPU */
	assert_true(sim_view_vcpu_mmu(sim, 0, &mv));
	assert_true(mv.root_mmu.present);
	assert_false(mv.guest_mmu.present);
	assert_false(mv.on_guest_mmu);
	assert_false(mv.tdp);
	assert_false(mv.tdp_mmu);
	assert_int_equal(mv.root_mmu.root_role, 0x3704);
	assert_int_equal(mv.root_mmu.cpu_role_base, 0x3704);
	assert_int_equal(mv.root_mmu.cpu_role_ext, 0x81); /* valid, efer_lma */
	assert_int_equal(mv.root_cache_hits, 1);
	assert_int_equal(mv.root_cache_misses, 6);
	assert_int_equal(mv.root_cache_evictions, 2);
	r[0] = &mv.root_mmu.current;
	for (unsigned i = 0; i < 3; i++)
		r[i + 1] = &mv.root_mmu.prev[i];
	for (unsigned i = 0; i < 4; i++) {
		/* the root of space pgd/0x1000 - 1 is SP 4 * that */
		const struct sim_sp_view *sp = &v[4 * (pgd[i] / 0x1000 - 1)];

		assert_true(r[i]->valid);
		assert_false(r[i]->special);
		assert_int_equal(r[i]->pgd, pgd[i]);
		assert_int_equal(r[i]->hpa, sp->hpa);
		assert_int_equal(r[i]->role, 0x3704);
		assert_int_equal(sp->root_count, 1);
	}
	free(v);
	sim_destroy(sim);
	scn_free(&s);
}

/* The SPTEs of A's root and of its leaf table. */
static void test_root_cache_scenario_sptes(void **state)
{
	struct scenario s;
	struct sim *sim = run_file(SCN_DIR "01-cr3-root-cache.json", &s);
	struct sim_spte_view e[512];
	struct sim_sp_view *v;
	size_t n;

	(void)state;
	v = all_sps(sim, &n);
	/* PML4 entry 0 (va 0x400000) points at the level-3 SP */
	assert_int_equal(sim_view_sptes(sim, v[0].hpa, e, 512), 1);
	assert_int_equal(e[0].index, 0);
	assert_false(e[0].leaf);
	assert_false(e[0].mmio);
	assert_int_equal(e[0].child_hpa, v[1].hpa);
	assert_int_equal(e[0].spte & ~0xfffULL, v[1].hpa);
	assert_non_null(strstr(e[0].decoded, "P W U"));
	/* PD entry 2 (va 0x400000 >> 21) points at the level-1 SP */
	assert_int_equal(sim_view_sptes(sim, v[2].hpa, e, 512), 1);
	assert_int_equal(e[0].index, 2);
	assert_int_equal(e[0].child_hpa, v[3].hpa);
	/* the leaf: entry 0, host frame 2^28 + 0x10 (gpa 0x10000), read-only after
	 * a read fault (gpte D clear), user */
	assert_int_equal(sim_view_sptes(sim, v[3].hpa, e, 512), 1);
	assert_int_equal(e[0].index, 0);
	assert_true(e[0].leaf);
	assert_int_equal(e[0].child_hpa, 0);
	assert_int_equal((e[0].spte >> 12) & ((1ULL << 40) - 1), (1ULL << 28) + 0x10);
	assert_non_null(strstr(e[0].decoded, "addr=0x10000010000"));
	assert_null(strstr(e[0].decoded, " W "));
	/* not an SP's table: nothing */
	assert_int_equal(sim_view_sptes(sim, v[3].hpa + 8, e, 512), 0);
	assert_int_equal(sim_view_sptes(sim, 0x7fff000, e, 512), 0);
	/* sizing call */
	assert_int_equal(sim_view_sptes(sim, v[0].hpa, NULL, 0), 1);
	free(v);
	sim_destroy(sim);
	scn_free(&s);
}

/* Views agree with each other: hash chains hold the hashed (non-TDP-MMU) pages,
 * children counts match the non-leaf SPTEs, and each non-leaf SPTE points at a
 * shadow page of the next level down. */
static void check_consistent(const struct sim *sim, const char *where)
{
	static u32 counts[SIM_VIEW_HASH_BUCKETS];
	static struct sim_spte_view e[512];
	struct sim_sp_view *v;
	size_t n;
	u64 hashed = 0, sum = 0;

	v = all_sps(sim, &n);
	sim_view_hash(sim, counts);
	for (unsigned b = 0; b < SIM_VIEW_HASH_BUCKETS; b++)
		sum += counts[b];
	for (size_t i = 0; i < n; i++) {
		size_t m = sim_view_sptes(sim, v[i].hpa, e, 512);
		unsigned present = 0, children = 0;

		hashed += !v[i].tdp_mmu;
		if (i)
			assert_true(v[i].serial > v[i - 1].serial);
		for (size_t k = 0; k < m; k++) {
			if (k)
				assert_true(e[k].index > e[k - 1].index);
			if (e[k].mmio) {
				assert_non_null(strstr(e[k].decoded, "mmio gfn"));
				continue;
			}
			present++;
			if (e[k].leaf)
				continue;
			children++;
			for (size_t j = 0; j < n; j++) {
				if (v[j].hpa != e[k].child_hpa)
					continue;
				if (v[j].level + 1 != v[i].level)
					fail_msg("%s: SP level %u entry %u points at level %u",
						 where, v[i].level, e[k].index, v[j].level);
			}
		}
		if (present != v[i].present || children != v[i].children)
			fail_msg("%s: SP %u: present %u/%u children %u/%u", where, v[i].serial,
				 present, v[i].present, children, v[i].children);
	}
	if (sum != hashed)
		fail_msg("%s: hash holds %llu, %llu hashed shadow pages", where,
			 (unsigned long long)sum, (unsigned long long)hashed);
	free(v);
}

/* Every scenarios/mmu/ scenario, step by step: where a step expects shadow_pages
 * (the scenario authors' numbers), the views count the same valid pages. */
static void test_mmu_scenarios_views_match_expectations(void **state)
{
	DIR *d = opendir(SCN_DIR);
	struct dirent *de;
	unsigned checked = 0, files = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[1024];
		struct scenario s;
		struct scn_error err;
		struct sim *sim;
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s%s", SCN_DIR, de->d_name);
		assert_int_equal(scn_load_file(path, &s, &err), 0);
		assert_int_equal(sim_create(&sim, &s, &err), 0);
		files++;
		for (u32 i = 0; i < s.nsteps; i++) {
			const struct scn_expect *ex = &s.steps[i].expect;
			char where[1100];

			assert_int_equal(sim_step(sim, &err), 0);
			snprintf(where, sizeof(where), "%s step %u", de->d_name, i);
			check_consistent(sim, where);
			if (!(ex->has & SCN_EX_SHADOW_PAGES))
				continue;
			for (unsigned k = 0; k < ex->nshadow_pages; k++) {
				u32 role = (u32)strtoul(ex->shadow_pages[k].name, NULL, 16);
				struct sim_sp_view *v;
				size_t n;
				u64 cnt = 0;

				v = all_sps(sim, &n);
				for (size_t j = 0; j < n; j++)
					cnt += v[j].role == role && !v[j].invalid;
				if (cnt != ex->shadow_pages[k].val)
					fail_msg("%s: role %s: views count %llu, expected %llu",
						 where, ex->shadow_pages[k].name,
						 (unsigned long long)cnt,
						 (unsigned long long)ex->shadow_pages[k].val);
				free(v);
				checked++;
			}
		}
		sim_destroy(sim);
		scn_free(&s);
	}
	closedir(d);
	assert_true(files >= 20);
	assert_true(checked >= 20);
}

/* A TDP MMU machine: its pages are TDP MMU pages, on no hash chain. */
static void test_tdp_mmu_pages_are_not_hashed(void **state)
{
	struct scenario s;
	struct sim *sim = run_file(SCN_DIR "13-tdp-mmu-roots.json", &s);
	static u32 counts[SIM_VIEW_HASH_BUCKETS];
	struct sim_vcpu_mmu_view mv;
	struct sim_sp_view *v;
	size_t n;
	u64 sum = 0;

	(void)state;
	v = all_sps(sim, &n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].tdp_mmu);
		assert_true(v[i].direct);
	}
	sim_view_hash(sim, counts);
	for (unsigned b = 0; b < SIM_VIEW_HASH_BUCKETS; b++)
		sum += counts[b];
	assert_int_equal(sum, 0);
	assert_true(sim_view_vcpu_mmu(sim, 0, &mv));
	assert_true(mv.tdp);
	assert_true(mv.tdp_mmu);
	/* direct roots: pgd 0; the current one is a TDP MMU root SP */
	if (mv.root_mmu.current.valid) {
		bool found = false;

		assert_int_equal(mv.root_mmu.current.pgd, 0);
		for (size_t i = 0; i < n; i++)
			found |= v[i].hpa == mv.root_mmu.current.hpa && v[i].root_count > 0;
		assert_true(found);
	}
	assert_false(sim_view_vcpu_mmu(sim, 16, &mv));
	free(v);
	sim_destroy(sim);
	scn_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_cache_scenario_shadow_pages),
		cmocka_unit_test(test_root_cache_scenario_hash_occupancy),
		cmocka_unit_test(test_root_cache_scenario_roots),
		cmocka_unit_test(test_root_cache_scenario_sptes),
		cmocka_unit_test(test_mmu_scenarios_views_match_expectations),
		cmocka_unit_test(test_tdp_mmu_pages_are_not_hashed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
