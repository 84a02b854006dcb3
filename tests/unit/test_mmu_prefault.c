/* SPDX-License-Identifier: MIT */
/*
 * KVM_PRE_FAULT_MEMORY (mmu/prefault.h) on a legacy-TDP VM (tdp_mmu off): a
 * range mapped by prefetch faults (SPTEs without Accessed, pf_fixed but no
 * pf_taken), -ENOENT outside the memslots, the -EINVAL checks, -EOPNOTSUPP under
 * shadow paging, the range left after a partial failure, and the RET_PF_RETRY
 * loop on an obsolete root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/walk.h"
#include "mmu/prefault.h"
#include "mmu/shadow_walk.h"
#include "mmu_fixture.h"

/* A 64-bit guest on legacy TDP (4-level direct root), root loaded. */
static struct fx *fx_tdp(void)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	fx_load(f);
	return f;
}

/* The 4K SPTE mapping @gpa in the current root, 0 if the path ends above it. */
static u64 spte_4k(struct fx *f, u64 gpa)
{
	struct shadow_walk_iterator it;

	for (shadow_walk_init(&it, &f->v, gpa); shadow_walk_okay(&it);
	     shadow_walk_next(&it, &f->vm)) {
		if (it.level == 1) {
			const u64 *p = mmu_sptep_ptr(&f->vm, it.sptep);

			return p ? *p : 0;
		}
	}
	return 0;
}

static void pre_fault(struct fx *f, struct kvm_pre_fault_memory *range,
		      struct mmu_pre_fault_out *out)
{
	mmu_vcpu_pre_fault_memory(&f->v, &f->r, &f->feat, range, out);
	EXPECT_OK(out->err);
}

static void test_pre_fault_maps_a_range_without_accessed(void **state)
{
	struct fx *f = fx_tdp();
	struct kvm_pre_fault_memory range = {.gpa = 0x40000, .size = 0x4000};
	struct mmu_pre_fault_out out;
	unsigned from = f->nev;

	(void)state;
	pre_fault(f, &range, &out);
	EXPECT_HEX(0, out.ret);
	EXPECT_HEX(0x44000, range.gpa);
	EXPECT_HEX(0, range.size);
	EXPECT_HEX(4, out.calls); /* one 4K page per call: no host huge pages */
	for (u64 gpa = 0x40000; gpa < 0x44000; gpa += 0x1000) {
		u64 spte = spte_4k(f, gpa);

		assert_true(is_shadow_present_pte(spte));
		EXPECT_HEX(PFN_BASE + (gpa >> PAGE_SHIFT), spte_to_pfn(spte));
		/* A prefetch: the page was not really accessed. */
		EXPECT_HEX(0, spte & f->masks.accessed_mask);
		/* A read fault on a writable slot of a direct MMU still maps W. */
		assert_true(spte & PT_W);
	}
	EXPECT_HEX(4, count_events(f, from, MMU_EV_SPTE_REQUESTED));
	EXPECT_HEX(4, count_events(f, from, MMU_EV_SET_SPTE));
	/* pf_fixed counts prefetch faults, pf_taken does not. */
	EXPECT_HEX(4, f->v.pf_fixed);
	EXPECT_HEX(0, f->v.pf_taken);

	/* Again: every fault is spurious, still success, and not counted. */
	range = (struct kvm_pre_fault_memory){.gpa = 0x40000, .size = 0x2000};
	from = f->nev;
	pre_fault(f, &range, &out);
	EXPECT_HEX(0, out.ret);
	EXPECT_HEX(0, range.size);
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SET_SPTE));
	EXPECT_HEX(4, f->v.pf_fixed);
	EXPECT_HEX(0, f->v.pf_spurious);
	EXPECT_HEX(0, f->v.pf_taken);

	/* A real fault on a pre-faulted page rebuilds the SPTE with Accessed set:
	 * a changed SPTE, RET_PF_FIXED, counted in pf_taken. */
	EXPECT_HEX(RET_PF_FIXED, fault(f, 0x40000, PFERR_GUEST_FINAL));
	assert_true(spte_4k(f, 0x40000) & f->masks.accessed_mask);
	EXPECT_HEX(1, f->v.pf_taken);
	EXPECT_HEX(5, f->v.pf_fixed);
	fx_destroy(f);
}

static void test_pre_fault_outside_memslots_is_enoent(void **state)
{
	struct fx *f = fx_tdp();
	struct kvm_pre_fault_memory range = {.gpa = GUEST_RAM, .size = 0x1000};
	struct mmu_pre_fault_out out;

	(void)state;
	pre_fault(f, &range, &out);
	EXPECT_HEX((u64)(s64)-MMU_PF_ENOENT, (u64)out.ret);
	/* Nothing done: the range is copied back unchanged. */
	EXPECT_HEX(GUEST_RAM, range.gpa);
	EXPECT_HEX(0x1000, range.size);
	EXPECT_HEX(0, f->v.pf_taken);
	EXPECT_HEX(0, f->v.pf_emulate); /* a prefetch is never counted as emulated */
	EXPECT_HEX(0, f->v.pf_fixed);
	fx_destroy(f);
}

static void test_partial_failure_returns_0_and_the_range_left(void **state)
{
	struct fx *f = fx_tdp();
	struct kvm_pre_fault_memory range = {.gpa = GUEST_RAM - 0x2000, .size = 0x4000};
	struct mmu_pre_fault_out out;

	(void)state;
	pre_fault(f, &range, &out);
	/* Two pages mapped, the third has no memslot: success, and the range
	 * copied back starts at the page that failed. */
	EXPECT_HEX(0, out.ret);
	EXPECT_HEX(GUEST_RAM, range.gpa);
	EXPECT_HEX(0x2000, range.size);
	EXPECT_HEX(3, out.calls);
	EXPECT_HEX(2, f->v.pf_fixed);
	/* Asking again for the rest now reports the error. */
	pre_fault(f, &range, &out);
	EXPECT_HEX((u64)(s64)-MMU_PF_ENOENT, (u64)out.ret);
	EXPECT_HEX(GUEST_RAM, range.gpa);
	fx_destroy(f);
}

static void test_invalid_ranges_are_einval(void **state)
{
	static const struct kvm_pre_fault_memory bad[] = {
		{.gpa = 0x1000, .size = 0x1000, .flags = 1}, /* flags */
		{.gpa = 0x1800, .size = 0x1000}, /* unaligned gpa */
		{.gpa = 0x1000, .size = 0x800}, /* unaligned size */
		{.gpa = 0x1000, .size = 0}, /* empty */
		{.gpa = ~0xfffULL, .size = 0x1000}, /* wraps */
	};
	struct fx *f = fx_tdp();
	unsigned from = f->nev;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kvm_pre_fault_memory range = bad[i];
		struct mmu_pre_fault_out out;

		pre_fault(f, &range, &out);
		EXPECT_HEX((u64)(s64)-MMU_PF_EINVAL, (u64)out.ret);
		EXPECT_HEX(0, out.calls);
		assert_memory_equal(&range, &bad[i], sizeof(range));
	}
	EXPECT_HEX(from, f->nev); /* the MMU never ran */
	fx_destroy(f);
}

static void test_shadow_paging_is_eopnotsupp(void **state)
{
	struct fx *f = fx_create_host(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);
	struct kvm_pre_fault_memory range = {.gpa = 0x40000, .size = 0x1000};
	struct mmu_pre_fault_out out;

	(void)state;
	mmu_init_context(&f->v, &f->r);
	assert_true(f->v.mmu->root.hpa == INVALID_PAGE);
	pre_fault(f, &range, &out);
	EXPECT_HEX((u64)(s64)-MMU_PF_EOPNOTSUPP, (u64)out.ret);
	EXPECT_HEX(0x1000, range.size);
	/* kvm_mmu_reload() runs before kvm_tdp_map_page() refuses: the shadow
	 * root was loaded. */
	assert_true(f->v.mmu->root.hpa != INVALID_PAGE);
	EXPECT_HEX(0, f->v.pf_fixed);

	/* A guest without paging runs on direct shadow roots: refused too. */
	f->r.cr0 = X86_CR0_PE;
	f->r.cr4 = 0;
	f->r.efer = 0;
	mmu_reset_context(&f->v, &f->r);
	assert_true(f->v.mmu->root_role.direct);
	pre_fault(f, &range, &out);
	EXPECT_HEX((u64)(s64)-MMU_PF_EOPNOTSUPP, (u64)out.ret);
	fx_destroy(f);
}

static void test_reload_loads_a_tdp_root_first(void **state)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);
	struct kvm_pre_fault_memory range = {.gpa = 0x0, .size = 0x1000};
	struct mmu_pre_fault_out out;

	(void)state;
	mmu_init_context(&f->v, &f->r);
	pre_fault(f, &range, &out);
	EXPECT_HEX(0, out.ret);
	assert_true(f->v.mmu->root.hpa != INVALID_PAGE);
	EXPECT_HEX(1, count_events(f, 0, MMU_EV_ROOT_LOAD));
	fx_destroy(f);
}

static void test_obsolete_root_retries_until_the_signal(void **state)
{
	struct fx *f = fx_tdp();
	struct kvm_pre_fault_memory range = {.gpa = 0x0, .size = 0x2000};
	struct mmu_pre_fault_out out;

	(void)state;
	/* kvm_mmu_zap_all_fast(): the root is obsolete but still loaded; only
	 * vcpu_enter_guest() frees it (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS), so every
	 * prefetch fault is stale and retried, until a signal: -EINTR. */
	mmu_zap_all_fast(&f->vm);
	pre_fault(f, &range, &out);
	EXPECT_HEX((u64)(s64)-MMU_PF_EINTR, (u64)out.ret);
	EXPECT_HEX(0x2000, range.size);
	EXPECT_HEX(0, f->v.pf_fixed);
	/* Once the vCPU has run (obsolete roots freed), a reload builds a new root. */
	mmu_free_obsolete_roots(&f->v);
	pre_fault(f, &range, &out);
	EXPECT_HEX(0, out.ret);
	EXPECT_HEX(0, range.size);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pre_fault_maps_a_range_without_accessed),
		cmocka_unit_test(test_pre_fault_outside_memslots_is_enoent),
		cmocka_unit_test(test_partial_failure_returns_0_and_the_range_left),
		cmocka_unit_test(test_invalid_ranges_are_einval),
		cmocka_unit_test(test_shadow_paging_is_eopnotsupp),
		cmocka_unit_test(test_reload_loads_a_tdp_root_first),
		cmocka_unit_test(test_obsolete_root_retries_until_the_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
