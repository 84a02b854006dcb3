/* SPDX-License-Identifier: MIT */
/*
 * The engine's KVM MMU wiring (sim/engine_mmu.c): roots switched on CR3 writes
 * (kvm_set_cr3), contexts reset on CR0/CR4/EFER role changes (kvm_post_set_cr0,
 * kvm_post_set_cr4, set_efer), roots loaded before accesses (kvm_mmu_reload),
 * zap_all, SIM_EV_MMU events and the root_cache / role / stats / shadow_pages
 * expectations.
 */
#include "sim/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/page.h"
#include "sim/engine_priv.h"

#define ROOT 0x100000ULL
#define ROOT2 0x101000ULL
#define POOL 0x800000ULL
#define VA 0x400000ULL
#define PA 0x200000ULL

struct rec {
	char text[1 << 16];
	size_t len;
	char json[1 << 16];
	size_t jlen;
};

static void rec_sink(void *ctx, const struct sim_event *ev)
{
	struct rec *r = ctx;
	char line[1024];
	int n = sim_event_format(ev, line, sizeof(line));

	assert_true(n > 0 && (size_t)n < sizeof(line));
	if (r->len + (size_t)n + 2 < sizeof(r->text)) {
		memcpy(r->text + r->len, line, (size_t)n);
		r->len += (size_t)n;
		r->text[r->len++] = '\n';
		r->text[r->len] = '\0';
	}
	n = sim_event_json(ev, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	if (r->jlen + (size_t)n + 2 < sizeof(r->json)) {
		memcpy(r->json + r->jlen, line, (size_t)n);
		r->jlen += (size_t)n;
		r->json[r->jlen++] = '\n';
		r->json[r->jlen] = '\0';
	}
}

static void has(const char *text, const char *needle)
{
	const char *p = text;

	if (strstr(text, needle))
		return;
	/* The MMU's lines only: cmocka truncates long messages. */
	print_error("want a line with \"%s\"; the MMU lines:\n", needle);
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (memmem(p, n, "] kvm_", 6) || memmem(p, n, "] mmuscope_root", 15))
			print_error("%.*s\n", (int)n, p);
		p += n + (eol ? 1 : 0);
	}
	fail();
}

static void lacks(const char *text, const char *needle)
{
	if (strstr(text, needle)) {
		print_error("want no line with \"%s\" in:\n%s", needle, text);
		fail();
	}
}

/* One vCPU in 4-level paging with CR0.WP and EFER.NXE, CR3 = ROOT; 16 MiB at 0. */
static void scn_long(struct scenario *s, enum scn_tdp tdp)
{
	static const struct {
		enum scn_reg reg;
		u64 val;
	} init[] = {
		{SCN_REG_CR4, X86_CR4_PAE},
		{SCN_REG_EFER, X86_EFER_LME | X86_EFER_NXE},
		{SCN_REG_CR3, ROOT},
		{SCN_REG_CR0, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP},
	};

	memset(s, 0, sizeof(*s));
	s->file = "t.json";
	s->version = SCN_VERSION;
	s->name = "t";
	cpu_features_default(&s->machine.feat, CPU_VENDOR_INTEL);
	s->machine.slots[0] = (struct scn_memslot){.pos = {3, 5}, .gpa = 0, .size = 0x1000000};
	s->machine.nslots = 1;
	s->machine.pt_pool =
		(struct scn_pt_pool){.present = true, .as = 0, .gpa = POOL, .size = 0x100000};
	s->machine.tdp = tdp;
	s->machine.tdp_mmu = false;
	s->nvcpus = 1;
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(init); i++)
		s->vcpus[0].init[s->vcpus[0].ninit++] =
			(struct scn_regval){init[i].reg, init[i].val, {2, 10 + i}};
	assert_int_equal(scn_alloc_steps(s, 32), 0);
}

static struct scn_step *add(struct scenario *s, enum scn_op op)
{
	struct scn_step *st = &s->steps[s->nsteps];

	memset(st, 0, sizeof(*st));
	st->op = op;
	st->pos = (struct scn_pos){10 + s->nsteps, 5};
	st->expect.pos = (struct scn_pos){10 + s->nsteps, 20};
	s->nsteps++;
	return st;
}

static struct scn_step *set1(struct scenario *s, enum scn_reg reg, u64 val)
{
	struct scn_step *st = add(s, SCN_OP_SET);

	st->u.set.regs[0] = (struct scn_regval){reg, val, st->pos};
	st->u.set.nregs = 1;
	return st;
}

/* VA -> PA in the tables at @root. */
static void map(struct scenario *s, u64 root)
{
	struct scn_step *st = add(s, SCN_OP_MAP);

	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, root, 0};
	st->u.pt.va = VA;
	st->u.pt.pa = PA;
	st->u.pt.size = PAGE_SIZE;
	st->u.pt.flags = 0x3; /* P|W */
	st->u.pt.mode = SCN_WRITE_SETUP;
}

static struct scn_step *access(struct scenario *s)
{
	struct scn_step *st = add(s, SCN_OP_ACCESS);

	st->u.access.va = VA;
	st->u.access.kind = SCN_ACC_READ;
	st->u.access.size = 1;
	return st;
}

/* One name -> value entry of an expect list. */
static struct scn_named_u64 *named(struct scenario *s, const char *name, u64 val)
{
	struct scn_named_u64 *n = scn_alloc(s, sizeof(*n));

	assert_non_null(n);
	*n = (struct scn_named_u64){name, val, {0, 0}};
	return n;
}

static void ex_role(struct scenario *s, struct scn_step *st, const char *which, u64 word)
{
	st->expect.has |= SCN_EX_ROLE;
	st->expect.roles = named(s, which, word);
	st->expect.nroles = 1;
}

static void ex_stat(struct scenario *s, struct scn_step *st, const char *name, u64 val)
{
	st->expect.has |= SCN_EX_STATS;
	st->expect.stats = named(s, name, val);
	st->expect.nstats = 1;
}

static void ex_sps(struct scenario *s, struct scn_step *st, const char *word, u64 n)
{
	st->expect.has |= SCN_EX_SHADOW_PAGES;
	st->expect.shadow_pages = named(s, word, n);
	st->expect.nshadow_pages = 1;
}

static void ex_rc(struct scn_step *st, enum scn_root_cache rc)
{
	st->expect.has |= SCN_EX_ROOT_CACHE;
	st->expect.root_cache = rc;
}

/* Run to the end; returns the failures. */
static u32 run(const struct scenario *s, struct rec *r)
{
	struct scn_error err;
	struct sim *sim = NULL;
	u32 f;
	int rc = sim_create(&sim, s, &err);

	if (rc) {
		print_error("sim_create: %d %s: %s\n", rc, err.path, err.msg);
		fail();
	}
	memset(r, 0, sizeof(*r));
	assert_int_equal(sim_add_sink(sim, rec_sink, r), 0);
	rc = sim_run(sim, 1000, &err);
	if (rc != 1) {
		print_error("sim_run: %d %s: %s\n", rc, err.path, err.msg);
		fail();
	}
	f = sim_failures(sim);
	sim_destroy(sim);
	return f;
}

static void test_cr3_switch_reports_the_root_cache(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	map(&s, ROOT2);
	ex_sps(&s, access(&s), "0x3704", 1); /* kvm_mmu_reload: root for ROOT */
	ex_rc(set1(&s, SCN_REG_CR3, ROOT2), SCN_RC_MISS);
	access(&s);
	ex_rc(set1(&s, SCN_REG_CR3, ROOT), SCN_RC_HIT);
	ex_stat(&s, access(&s), "root_cache_hits", 1);
	/* Two roots, and the three lower shadow pages of each tree (the accesses' faults). */
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "mmu_cache_miss", 8);
	ex_sps(&s, add(&s, SCN_OP_EXPECT), "0x3704", 2);
	assert_int_equal(run(&s, r), 0);
	has(r->text, "[s2 v0] kvm_mmu_get_page: sp gen 0 gfn 100 l4 8-byte q0 wux nxe ad root 0 "
		     "sync new");
	has(r->text, "[s3 v0] mmuscope_root_cache: miss pgd 0x101000 role 0x3704");
	has(r->text, "[s5 v0] mmuscope_root_cache: hit prev 0 pgd 0x100000");
	lacks(r->text, "[s6 v0] mmuscope_root_load");
	has(r->json, "{\"event\":\"mmuscope_root_cache\",\"step\":3,\"vcpu\":0,\"text\":\"miss pgd "
		     "0x101000 role 0x3704\"}");
	scn_free(&s);
	free(r);
}

static void test_root_cache_expectation_fails_without_or_with_other_result(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	ex_rc(add(&s, SCN_OP_EXPECT), SCN_RC_MISS); /* no CR3 write: none */
	ex_rc(set1(&s, SCN_REG_CR3, ROOT2), SCN_RC_HIT); /* a miss */
	assert_int_equal(run(&s, r), 2);
	has(r->text, "root_cache expected miss observed none");
	has(r->text, "root_cache expected hit observed miss");
	scn_free(&s);
	free(r);
}

static void test_role_words_follow_cr0_and_cr4(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	ex_role(&s, add(&s, SCN_OP_EXPECT), "root_role", 0x3704);
	ex_role(&s, add(&s, SCN_OP_EXPECT), "cpu_role", 0x8100003704ULL);
	/* kvm_post_set_cr0: WP changed with shadow paging -> reset; cr0_wp clear. */
	ex_role(&s, set1(&s, SCN_REG_CR0, X86_CR0_PE | X86_CR0_PG), "root_role", 0x1704);
	/* kvm_post_set_cr4: SMEP -> reset; !WP so smep_andnot_wp (bit 14) is set. */
	ex_role(&s, set1(&s, SCN_REG_CR4, X86_CR4_PAE | X86_CR4_SMEP), "root_role", 0x5704);
	ex_role(&s, add(&s, SCN_OP_EXPECT), "root_role", 0x3704); /* wrong on purpose */
	ex_role(&s, add(&s, SCN_OP_EXPECT), "guest_role", 0);
	assert_int_equal(run(&s, r), 2);
	has(r->text, "role.root_role expected 0x3704 observed 0x5704");
	has(r->text, "role.guest_role expected 0x0 observed no such role");
	scn_free(&s);
	free(r);
}

static void test_smep_change_resets_the_context_and_frees_roots(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	access(&s);
	set1(&s, SCN_REG_CR4, X86_CR4_PAE | X86_CR4_SMEP);
	access(&s);
	set1(&s, SCN_REG_RFLAGS, 0x2); /* not a role register: nothing happens */
	assert_int_equal(run(&s, r), 0);
	has(r->text, "[s2 v0] mmuscope_root_free: pgd 0x100000");
	/* CR0.WP=1: SMEP leaves the root role alone, so the same page is found. */
	has(r->text, "[s3 v0] kvm_mmu_get_page: sp gen 0 gfn 100 l4 8-byte q0 wux nxe ad root 0 "
		     "sync existing");
	lacks(r->text, "[s4 v0] mmuscope_root");
	scn_free(&s);
	free(r);
}

static void test_zap_all_makes_roots_obsolete_and_the_next_access_reloads(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	access(&s);
	add(&s, SCN_OP_ZAP_ALL);
	ex_sps(&s, access(&s), "0x3704", 1);
	/* The first tree (4 pages) and a second one: kvm_mmu_load() flushed the
	 * TLB with the new root, so the access walks and faults it in again. */
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "mmu_cache_miss", 8);
	assert_int_equal(run(&s, r), 0);
	has(r->text, "[s2 v0] kvm_mmu_zap_all_fast: kvm-mmu-valid-gen 0 used_pages 4");
	has(r->text, "[s3 v0] mmuscope_root_free: pgd 0x100000");
	has(r->text, "[s3 v0] kvm_mmu_get_page: sp gen 1 gfn 100 l4 8-byte q0 wux nxe ad root 0 "
		     "sync new");
	scn_free(&s);
	free(r);
}

static void test_stats_and_shadow_pages_expectations_fail_with_what_was_seen(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	access(&s);
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "mmu_cache_miss", 5);
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "no_such_counter", 0);
	/* The initial registers are the vCPU's reset state: no kvm_set_cr3(). */
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "root_cache_misses", 0);
	ex_sps(&s, add(&s, SCN_OP_EXPECT), "0x3704", 3);
	ex_sps(&s, add(&s, SCN_OP_EXPECT), "0x1704", 0);
	ex_sps(&s, add(&s, SCN_OP_EXPECT), "zz", 0);
	assert_int_equal(run(&s, r), 4);
	has(r->text, "stats.mmu_cache_miss expected 5 observed 4");
	has(r->text, "stats.no_such_counter expected 0 observed no such stat");
	has(r->text, "shadow_pages.0x3704 expected 3 observed 1");
	has(r->text, "shadow_pages.zz expected 0 observed not a 32-bit role word");
	scn_free(&s);
	free(r);
}

static void test_ept_legacy_root_ignores_cr3_and_wp(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));

	(void)state;
	scn_long(&s, SCN_TDP_EPT);
	map(&s, ROOT);
	ex_sps(&s, access(&s), "0x3784", 1);
	ex_rc(set1(&s, SCN_REG_CR3, ROOT2), SCN_RC_HIT);
	ex_role(&s, set1(&s, SCN_REG_CR0, X86_CR0_PE | X86_CR0_PG), "root_role", 0x3784);
	ex_role(&s, add(&s, SCN_OP_EXPECT), "cpu_role", 0x8100001704ULL);
	assert_int_equal(run(&s, r), 0);
	has(r->text, "[s1 v0] mmuscope_root_load: pgd 0x0 hpa 0x1000 role 0x3784");
	has(r->text, "[s2 v0] mmuscope_root_cache: hit current pgd 0x101000");
	lacks(r->text, "mmuscope_root_free"); /* a WP-only change with TDP: kvm_init_mmu only */
	scn_free(&s);
	free(r);
}

static void test_memslot_delete_zaps_fast(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));
	struct scn_step *st;

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	st = add(&s, SCN_OP_MEMSLOT_ADD);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5, .gpa = 0x2000000, .size = 0x100000};
	map(&s, ROOT);
	access(&s);
	st = add(&s, SCN_OP_MEMSLOT_DELETE);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5, .gpa = 0x2000000, .size = 0x100000};
	access(&s);
	assert_int_equal(run(&s, r), 0);
	lacks(r->text, "[s0 v0] kvm_mmu_zap_all_fast");
	has(r->text, "[s3 v0] kvm_mmu_zap_all_fast: kvm-mmu-valid-gen 0 used_pages 4");
	has(r->text, "[s4 v0] kvm_mmu_get_page: sp gen 1 gfn 100");
	scn_free(&s);
	free(r);
}

/*
 * tdp_mmu true runs KVM's TDP MMU: the root comes from kvm_tdp_mmu_alloc_root()
 * (refcount 2), the fault from kvm_tdp_mmu_map() (three child tables, traced
 * created), a memslot delete invalidates and zaps the root, and the reload
 * allocates a new one at the freed table.
 */
static void test_tdp_mmu_true_runs(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;
	struct rec *r = calloc(1, sizeof(*r));
	struct scn_step *st;

	(void)state;
	scn_long(&s, SCN_TDP_EPT);
	s.machine.tdp_mmu = true;
	st = add(&s, SCN_OP_MEMSLOT_ADD);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5, .gpa = 0x2000000, .size = 0x100000};
	map(&s, ROOT);
	st = access(&s);
	ex_sps(&s, st, "0x3784", 1);
	ex_stat(&s, add(&s, SCN_OP_EXPECT), "pages_4k", 5); /* 4 guest tables + the page */
	st = add(&s, SCN_OP_MEMSLOT_DELETE);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5, .gpa = 0x2000000, .size = 0x100000};
	ex_stat(&s, st, "pages_4k", 0);
	access(&s);
	assert_int_equal(run(&s, r), 0);
	has(r->text,
	    "[s2 v0] kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux nxe ad root 0 "
	    "sync new");
	has(r->text, "[s2 v0] mmuscope_root_load: pgd 0x0 hpa 0x1000 role 0x3784");
	has(r->text,
	    "[s2 v0] kvm_mmu_get_page: sp gen 0 gfn 0 l3 8-byte q0 direct wux nxe ad root 0");
	has(r->text, "[s4 v0] kvm_mmu_zap_all_fast: kvm-mmu-valid-gen 0 used_pages 0");
	has(r->text, "[s4 v0] kvm_mmu_prepare_zap_page: sp gen 0 gfn 0 l1 8-byte q0 direct wux");
	has(r->text, "[s5 v0] mmuscope_root_free: pgd 0x0 hpa 0x1000");
	has(r->text,
	    "[s5 v0] kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux nxe ad root 0 "
	    "sync new");
	has(r->text, "[s5 v0] mmuscope_root_load: pgd 0x0 hpa 0x1000 role 0x3784");
	lacks(r->text, "[s4 v0] kvm_mmu_prepare_zap_page: sp gen 0 gfn 0 l4");
	scn_free(&s);
	free(r);

	scn_long(&s, SCN_TDP_NPT);
	s.machine.tdp_mmu = false;
	s.machine.max_mmu_pages = 10; /* below KVM_MIN_ALLOC_MMU_PAGES */
	assert_int_equal(sim_create(&sim, &s, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/machine/max_mmu_pages");
	scn_free(&s);
}

/*
 * The hardware loop: a shadow guest's first access faults into KVM and installs
 * the leaf; an SPTE corrupted by hand (its frame moved one page on) makes the next
 * walk of the shadow tables reach the wrong gpa: the transparency check reports a
 * divergence, an expectation failure unless the step expects it.
 */
static u32 run_corrupted(bool expect_divergence, struct rec *r, u64 *gpa)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;
	struct mmu_vcpu *mv;
	struct scn_step *st;
	u64 sptep, *p;
	u32 f;

	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	access(&s);
	add(&s, SCN_OP_FLUSH_TLB);
	st = access(&s);
	if (expect_divergence) {
		st->expect.has |= SCN_EX_DIVERGENCE;
		st->expect.divergence = true;
	}
	assert_int_equal(sim_create(&sim, &s, &err), 0);
	memset(r, 0, sizeof(*r));
	assert_int_equal(sim_add_sink(sim, rec_sink, r), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sim_step(sim, &err), 0);
	assert_int_equal(sim_failures(sim), 0);
	has(r->text, "[s1 v0] mmuscope_vmexit: #PF gva 0x400000 ec 0x0 -> RET_PF_FIXED");
	lacks(r->text, "mmuscope_divergence");
	/* The leaf SPTE of PA, through the VM's rmap, rewritten in hmem. */
	mv = sim_mmu_vcpu(sim, 0);
	assert_non_null(mv);
	assert_int_equal(mmu_rmap_get(mv->vm, 0, PA >> PAGE_SHIFT, 1, &sptep, 1), 1);
	p = mmu_sptep_ptr(mv->vm, sptep);
	assert_non_null(p);
	assert_ptr_equal(sim_hmem(sim), mv->vm->hmem);
	*p += PAGE_SIZE;
	assert_int_equal(sim_run(sim, 1000, &err), 1);
	*gpa = ((struct sim *)sim)->obs.gpa;
	f = sim_failures(sim);
	sim_destroy(sim);
	scn_free(&s);
	return f;
}

static void test_corrupted_spte_is_a_divergence(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	u64 gpa = 0;

	(void)state;
	assert_int_equal(run_corrupted(false, r, &gpa), 1);
	has(r->text, "[s3 v0] mmuscope_divergence: KVM's MMU gave gpa 0x201000; the "
		     "architecture allows walk gpa 0x200000");
	has(r->text, "mmuscope_expect_fail: divergence expected none observed KVM's MMU");
	/* The guest sees what the hardware gave it. */
	assert_int_equal(gpa, PA + PAGE_SIZE);
	assert_int_equal(run_corrupted(true, r, &gpa), 0);
	has(r->text, "[s3 v0] mmuscope_divergence:");
	lacks(r->text, "mmuscope_expect_fail");
	free(r);
}

static void test_expected_divergence_must_happen(void **state)
{
	struct scenario s;
	struct rec *r = calloc(1, sizeof(*r));
	struct scn_step *st;

	(void)state;
	scn_long(&s, SCN_TDP_NONE);
	map(&s, ROOT);
	st = access(&s);
	st->expect.has |= SCN_EX_DIVERGENCE;
	st->expect.divergence = true;
	assert_int_equal(run(&s, r), 1);
	has(r->text, "mmuscope_vmexit: #PF gva 0x400000 ec 0x0 -> RET_PF_FIXED");
	has(r->text, "mmuscope_expect_fail: divergence expected true observed none");
	scn_free(&s);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr3_switch_reports_the_root_cache),
		cmocka_unit_test(test_root_cache_expectation_fails_without_or_with_other_result),
		cmocka_unit_test(test_role_words_follow_cr0_and_cr4),
		cmocka_unit_test(test_smep_change_resets_the_context_and_frees_roots),
		cmocka_unit_test(test_zap_all_makes_roots_obsolete_and_the_next_access_reloads),
		cmocka_unit_test(test_stats_and_shadow_pages_expectations_fail_with_what_was_seen),
		cmocka_unit_test(test_ept_legacy_root_ignores_cr3_and_wp),
		cmocka_unit_test(test_memslot_delete_zaps_fast),
		cmocka_unit_test(test_tdp_mmu_true_runs),
		cmocka_unit_test(test_corrupted_spte_is_a_divergence),
		cmocka_unit_test(test_expected_divergence_must_happen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
