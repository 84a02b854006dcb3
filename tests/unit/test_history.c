/* SPDX-License-Identifier: MIT */
/*
 * The history library (docs/history/): each pair of scenarios under
 * scenarios/history/ runs KVM before and after a fix (machine.variants), and
 * the two must differ exactly as the page says -- no more (both runs pass
 * their own expectations) and no less (the differences asserted here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/err.h"
#include "mmu/role.h"
#include "sim/engine.h"
#include "sim/loader.h"

#define MAX_STEPS 128

/* One run: its trace lines counted per step, KVM's stats at the end. */
struct run {
	struct scenario s;
	struct sim *sim;
	char *trace; /* every line, '\n'-separated */
	size_t len, cap;
	unsigned divergences[MAX_STEPS];
	unsigned exits[MAX_STEPS];
	s32 pre_fault_ret[MAX_STEPS];
	bool has_pre_fault[MAX_STEPS];
};

static void sink(void *ctx, const struct sim_event *ev)
{
	struct run *r = ctx;
	char line[1024];
	int n = sim_event_format(ev, line, sizeof(line));

	if (ev->step < MAX_STEPS) {
		if (ev->kind == SIM_EV_DIVERGENCE)
			r->divergences[ev->step]++;
		if (ev->kind == SIM_EV_VMEXIT)
			r->exits[ev->step]++;
		if (ev->kind == SIM_EV_PRE_FAULT) {
			r->has_pre_fault[ev->step] = true;
			r->pre_fault_ret[ev->step] = ev->u.pre_fault.ret;
		}
	}
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (r->len + (size_t)n + 2 > r->cap) {
		r->cap = 2 * (r->cap + (size_t)n + 2);
		r->trace = realloc(r->trace, r->cap);
		assert_non_null(r->trace);
	}
	memcpy(r->trace + r->len, line, (size_t)n);
	r->len += (size_t)n;
	r->trace[r->len++] = '\n';
	r->trace[r->len] = 0;
}

/* Load and run scenarios/history/@name.json to its end; it must pass. */
static struct run *run(const char *name)
{
	struct run *r = calloc(1, sizeof(*r));
	struct scn_error err;
	char path[512];

	assert_non_null(r);
	snprintf(path, sizeof(path), "%s/scenarios/history/%s.json", MSC_SOURCE_DIR, name);
	if (scn_load_file(path, &r->s, &err)) {
		print_error("%s: %s\n", path, err.msg);
		fail();
	}
	assert_int_equal(sim_create(&r->sim, &r->s, &err), 0);
	assert_int_equal(sim_add_sink(r->sim, sink, r), 0);
	assert_int_equal(sim_run(r->sim, 100000, &err), 1);
	if (sim_failures(r->sim))
		print_error("%s: %u expectation(s) failed\n", name, sim_failures(r->sim));
	assert_int_equal(sim_failures(r->sim), 0);
	return r;
}

static void done(struct run *r)
{
	sim_destroy(r->sim);
	scn_free(&r->s);
	free(r->trace);
	free(r);
}

static u64 stat(const struct run *r, const char *name)
{
	u64 v = 0;

	assert_true(sim_kvm_stat(r->sim, 0, name, &v));
	return v;
}

/* Lines of the trace containing @needle. */
static unsigned count(const struct run *r, const char *needle)
{
	unsigned n = 0;

	for (const char *p = r->trace; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static unsigned divergences(const struct run *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_STEPS; i++)
		n += r->divergences[i];
	return n;
}

/* 01: direct pages created with cr4_pae clear never match the lookup role. */
static void test_01_prev_roots_cr4_pae(void **state)
{
	struct run *b = run("01-prev-roots-cr4-pae-before");
	struct run *a = run("01-prev-roots-cr4-pae-after");

	(void)state;
	assert_int_equal(stat(b, "root_cache_hits"), 0);
	assert_int_equal(stat(b, "root_cache_misses"), 10);
	assert_int_equal(stat(a, "root_cache_hits"), 8);
	assert_int_equal(stat(a, "root_cache_misses"), 2);
	/* Every miss reloads a root (kvm_mmu_get_page "existing") and flushes. */
	assert_int_equal(count(b, "mmuscope_root_load:"), 9);
	assert_int_equal(count(a, "mmuscope_root_load:"), 2);
	assert_int_equal(count(b, "sync existing"), 7);
	assert_int_equal(count(b, "l4 4-byte q0 direct wux nxe ad root"), 9);
	assert_int_equal(count(a, "sync existing"), 0);
	/* The stored role reads 4-byte (0x3794), the lookup role 8-byte (0x3784). */
	assert_true(count(b, "mmuscope_root_load: pgd 0x0 hpa 0x1000 role 0x3794") >= 1);
	/* The CR3 switch and the four returns to L1 all miss L1's root. */
	assert_int_equal(count(b, "mmuscope_root_cache: miss pgd 0x3000 role 0x3784"), 5);
	assert_int_equal(count(a, "role 0x3794"), 0);
	/* The same guest-visible run: same faults fixed, same pages built. */
	assert_int_equal(stat(b, "pf_fixed"), stat(a, "pf_fixed"));
	assert_int_equal(stat(b, "mmu_cache_miss"), stat(a, "mmu_cache_miss"));
	done(b);
	done(a);
}

/*
 * 01, the nested-EPT point: with gpte size forced to 8 bytes, a shadow EPT page
 * and the shadow page of a 64-bit L2 with CR0.WP=0 and EFER.NX=0 have the same
 * base role word; before 2022 the legacy shadow root role was that word too (no
 * efer_nx forcing), hence the cr0_wp && smap_andnot_wp marker of 47c42e6b4192.
 */
static void test_01_nested_ept_role_collision(void **state)
{
	struct mmu_role_regs regs = {
		.cr0 = X86_CR0_PG,
		.cr4 = X86_CR4_PAE,
		.efer = X86_EFER_LME | X86_EFER_LMA,
		.guest_mode = true,
	};
	union kvm_cpu_role ept = mmu_calc_shadow_ept_cpu_role(true, false, 4);
	union kvm_cpu_role l2 = mmu_calc_cpu_role(&regs);

	(void)state;
	assert_int_equal(ept.base.word, 0x20704);
	assert_int_equal(l2.base.word, ept.base.word);
	/* Today's legacy shadow root forces efer_nx: the words differ. */
	assert_int_equal(mmu_calc_shadow_root_role(l2).word, 0x21704);
}

/* 02: TDP root roles from the guest, and the CR0.WP-only unload. */
static void test_02_tdp_root_roles(void **state)
{
	struct run *b = run("02-tdp-root-roles-before");
	struct run *m = run("02-tdp-root-roles-v5.19");
	struct run *a = run("02-tdp-root-roles-after");
	const char *new_root = "l4 8-byte q0 direct wux";

	(void)state;
	/* Roots created: one per (PG, WP, NX) setting before, one after. */
	assert_int_equal(count(b, "kvm_mmu_get_page: sp gen 0 gfn 0 l4"), 4);
	assert_int_equal(count(m, "kvm_mmu_get_page: sp gen 0 gfn 0 l4"), 1);
	assert_int_equal(count(a, "kvm_mmu_get_page: sp gen 0 gfn 0 l4"), 1);
	assert_true(count(b, new_root) >= 4);
	/* Root loads: every reset reloads; v6.4 drops the WP-only resets. */
	assert_int_equal(count(b, "mmuscope_root_load:"), 7);
	assert_int_equal(count(m, "mmuscope_root_load:"), 7);
	assert_int_equal(count(a, "mmuscope_root_load:"), 3);
	assert_int_equal(stat(b, "context_resets"), 8);
	assert_int_equal(stat(m, "context_resets"), 8);
	assert_int_equal(stat(a, "context_resets"), 4);
	/* New roots are empty: the same mappings are faulted in again. */
	assert_int_equal(stat(b, "pf_fixed"), 16);
	assert_int_equal(stat(m, "pf_fixed"), 5);
	assert_int_equal(stat(a, "pf_fixed"), 5);
	done(b);
	done(m);
	done(a);
}

/* 03: KVM_MAP_MEMORY v2 (always the L1 non-SMM root) vs KVM_PRE_FAULT_MEMORY. */
static void test_03_pre_fault_roots(void **state)
{
	struct run *b = run("03-pre-fault-roots-before");
	struct run *a = run("03-pre-fault-roots-after");

	(void)state;
	/* Steps 3, 9, 15: pre_fault in SMM, in L2, in L2 with nested EPT. */
	assert_true(b->has_pre_fault[3] && b->has_pre_fault[9] && b->has_pre_fault[15]);
	assert_int_equal(b->pre_fault_ret[3], 0);
	assert_int_equal(b->pre_fault_ret[9], 0);
	assert_int_equal(b->pre_fault_ret[15], 0);
	assert_int_equal(a->pre_fault_ret[3], 0);
	assert_int_equal(a->pre_fault_ret[9], 0);
	assert_int_equal(a->pre_fault_ret[15], -95); /* -EOPNOTSUPP */
	/* The mode that asked: SMM's read (4) and L2's read (10) exit only before. */
	assert_int_equal(b->exits[4], 1);
	assert_int_equal(a->exits[4], 0);
	assert_int_equal(b->exits[10], 1);
	assert_int_equal(a->exits[10], 0);
	/* The L1 normal root got them instead: L1's reads (6, 18) exit only after. */
	assert_int_equal(b->exits[6], 0);
	assert_int_equal(a->exits[6], 1);
	assert_int_equal(b->exits[18], 0);
	assert_int_equal(a->exits[18], 1);
	/* Two context resets per switched call. */
	assert_int_equal(stat(b, "context_resets") - stat(a, "context_resets"), 6);
	done(b);
	done(a);
}

/* 04: shadow paging needs NX for the CR0.WP=0 + SMEP emulation. */
static void test_04_shadow_nx(void **state)
{
	struct run *b = run("04-shadow-nx-before");
	struct run *a = run("04-shadow-nx-after");
	struct run *n = run("04-shadow-nx-nested-npt");

	(void)state;
	assert_int_equal(count(b, "kvm_mmu_set_spte: gfn 10 spte 10000010e63 (rwx-)"), 1);
	assert_int_equal(count(a, "kvm_mmu_set_spte: gfn 10 spte 8000010000010e63 (rw--)"), 1);
	/* The supervisor fetch (step 5): a divergence without NX, #PF 0x11 with. */
	assert_int_equal(b->divergences[5], 1);
	assert_int_equal(divergences(b), 1);
	assert_int_equal(divergences(a), 0);
	assert_int_equal(a->exits[5], 1);
	/* Nested NPT keeps L1's EFER.NX in its role across !PAE <-> PAE. */
	assert_int_equal(divergences(n), 0);
	assert_int_equal(count(n, "mmuscope_root_cache: miss pgd 0x10000 role 0x20714"), 2);
	assert_int_equal(count(n, "mmuscope_root_cache: miss pgd 0x20000 role 0x21704"), 1);
	done(b);
	done(a);
	done(n);
}

/* 05: write tracking checked in one address space vs both. */
static void test_05_write_track_smm(void **state)
{
	struct run *b = run("05-write-track-smm-before");
	struct run *a = run("05-write-track-smm-after");

	(void)state;
	assert_int_equal(count(b, "kvm_mmu_unsync_page: sp gen 0 gfn 101 l2"), 1);
	assert_int_equal(count(a, "kvm_mmu_unsync_page:"), 0);
	assert_int_equal(stat(b, "mmu_pte_write"), 0);
	assert_int_equal(stat(a, "mmu_pte_write"), 1);
	assert_int_equal(count(a, "write-protected gfn 0x101: emulate 4-byte page-table write"), 1);
	done(b);
	done(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_01_prev_roots_cr4_pae),
		cmocka_unit_test(test_01_nested_ept_role_collision),
		cmocka_unit_test(test_02_tdp_root_roles),
		cmocka_unit_test(test_03_pre_fault_roots),
		cmocka_unit_test(test_04_shadow_nx),
		cmocka_unit_test(test_05_write_track_smm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
