/* SPDX-License-Identifier: MIT */
/*
 * Shadow pages (mmu/page.h): KVM's hash values, get/find and their statistics,
 * account_shadowed() write-protection and tracking per address space, rmaps with
 * pte_list_desc order and recycling, unsync and its propagation, zapping, the
 * page budget, fast zap and the events each step emits.
 */
#include "mmu/page.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/walk.h"

/* want/got in hex, with what was being checked. */
#define assert_hex(what, want, got)                                                        \
	do {                                                                               \
		unsigned long long want_ = (want), got_ = (got);                           \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

#define MAX_EVENTS 4096
#define GUEST_BYTES (64ULL << 20) /* 16384 pages in each address space */
#define SPTE_W BIT_ULL(1)

struct fx {
	struct hmem *hmem;
	struct gmem *gmem;
	struct mmu_vm vm;
	struct mmu_event ev[MAX_EVENTS];
	unsigned nev;
	int sync_ret; /* what the sync_page hook answers */
	unsigned sync_calls;
};

static void record(void *ctx, const struct mmu_event *ev)
{
	struct fx *f = ctx;

	if (f->nev < MAX_EVENTS)
		f->ev[f->nev++] = *ev;
}

static bool identity_pfn(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable)
{
	(void)ctx;
	(void)as;
	*pfn = gfn + 0x100000;
	*writable = true;
	return true;
}

static int sync_hook(void *ctx, struct kvm_mmu_page *sp)
{
	struct fx *f = ctx;

	(void)sp;
	f->sync_calls++;
	return f->sync_ret;
}

/* AS 0: one 64 MiB slot at 0; AS 1: the same pages (QEMU's SMRAM overlay). */
static int setup(void **state)
{
	struct gmem_slot_desc d0 = {.as = 0, .id = 0, .base = 0, .size = GUEST_BYTES};
	struct gmem_slot_desc d1 = {.as = 1,
				    .id = 0,
				    .base = 0,
				    .size = GUEST_BYTES,
				    .alias = true,
				    .alias_as = 0,
				    .alias_id = 0};
	struct spte_masks m;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(hmem_create(&f->hmem, 8192), 0);
	assert_int_equal(gmem_create(&f->gmem, 0), 0);
	assert_int_equal(gmem_slot_add(f->gmem, &d0), 0);
	assert_int_equal(gmem_slot_add(f->gmem, &d1), 0);
	spte_masks_init_legacy(&m, 46);
	assert_int_equal(mmu_vm_init(&f->vm, f->hmem, f->gmem, &m, identity_pfn, f), 0);
	f->vm.sink = record;
	f->vm.sink_ctx = f;
	f->vm.sync_page = sync_hook;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mmu_vm_destroy(&f->vm);
	assert_hex("hmem pages left after destroy", 0, hmem_used_pages(f->hmem));
	gmem_destroy(f->gmem);
	hmem_destroy(f->hmem);
	free(f);
	return 0;
}

/* A 64-bit guest's shadow page role (efer_nx, cr0_wp, access wux) at @level. */
static union kvm_mmu_page_role shadow_role(unsigned level)
{
	union kvm_mmu_page_role r = {.word = 0x3700u | level};
	return r;
}

/* The same, direct (a TDP or huge-page-split page). */
static union kvm_mmu_page_role direct_role(unsigned level)
{
	union kvm_mmu_page_role r = {.word = 0x3780u | level};
	return r;
}

static u64 sptep_of(const struct kvm_mmu_page *sp, unsigned idx)
{
	return sp->spt + (u64)idx * 8;
}

static u64 spte_at(struct fx *f, u64 sptep)
{
	return *mmu_sptep_ptr(&f->vm, sptep);
}

static struct kvm_mmu_page *get(struct fx *f, gfn_t gfn, union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp = mmu_get_shadow_page(&f->vm, gfn, role);

	assert_non_null(sp);
	return sp;
}

static unsigned count_kind(const struct fx *f, enum mmu_ev_kind kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nev; i++)
		n += f->ev[i].kind == kind;
	return n;
}

static const struct mmu_event *last_of(const struct fx *f, enum mmu_ev_kind kind)
{
	for (unsigned i = f->nev; i-- > 0;) {
		if (f->ev[i].kind == kind)
			return &f->ev[i];
	}
	fail_msg("no event of kind %d", (int)kind);
	return NULL;
}

/* The @n-th entry (0 = head) of a list, by SP. */
static struct kvm_mmu_page *nth_active(struct mmu_vm *vm, unsigned n)
{
	struct mlist *l = vm->active_mmu_pages.next;

	while (n-- && l != &vm->active_mmu_pages)
		l = l->next;
	return l == &vm->active_mmu_pages ? NULL : mlist_entry(l, struct kvm_mmu_page, link);
}

static struct kvm_mmu_page *nth_in_bucket(struct mmu_vm *vm, gfn_t gfn, unsigned n)
{
	struct mlist *b = &vm->mmu_page_hash[mmu_page_hashfn(gfn)], *l = b->next;

	while (n-- && l != b)
		l = l->next;
	return l == b ? NULL : mlist_entry(l, struct kvm_mmu_page, hash_link);
}

/* Another gfn above @after hashing into @gfn's bucket. */
static gfn_t colliding_gfn(gfn_t gfn, gfn_t after)
{
	u32 b = mmu_page_hashfn(gfn);

	for (gfn_t g = after + 1;; g++) {
		if (g != gfn && mmu_page_hashfn(g) == b)
			return g;
	}
}

/* A writable 4K mapping of @gfn at entry @idx of the direct PT covering it. */
static u64 map_4k(struct fx *f, gfn_t gfn, bool write)
{
	struct kvm_mmu_page *pt = get(f, gfn & ~511ULL, direct_role(1));
	u64 sptep = sptep_of(pt, (unsigned)(gfn & 511));

	mmu_set_spte(&f->vm, sptep, ACC_ALL, write, 1, gfn, gfn + 0x100000, false, true);
	return sptep;
}

/* ---- hash ------------------------------------------------------------------ */

static void test_hashfn_matches_kvm_hash_64_values(void **state)
{
	(void)state;
	/* Reference appendix B: hash_64(gfn, 12). */
	assert_hex("bucket of gfn 0", 0, mmu_page_hashfn(0));
	assert_hex("bucket of gfn 1", 1564, mmu_page_hashfn(1));
	assert_hex("bucket of gfn 0x1234", 3938, mmu_page_hashfn(0x1234));
	assert_hex("bucket of gfn 0xfee00", 1199, mmu_page_hashfn(0xfee00));
	assert_hex("bucket of gfn 0x100000", 1606, mmu_page_hashfn(0x100000));
}

static void test_default_budget_is_memslot_pages_over_50_at_least_64(void **state)
{
	struct fx *f = *state;
	struct gmem *small;
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = 1ULL << 20};

	/* 2 x 16384 pages (both address spaces count) / 50. */
	assert_hex("default n_max_mmu_pages", 32768 / 50, f->vm.n_max_mmu_pages);
	assert_int_equal(gmem_create(&small, 0), 0);
	assert_int_equal(gmem_slot_add(small, &d), 0);
	assert_hex("256 pages -> the minimum", KVM_MIN_ALLOC_MMU_PAGES,
		   mmu_default_mmu_pages(small));
	gmem_destroy(small);
	assert_int_equal(mmu_vm_set_nr_mmu_pages(&f->vm, 63), MSC_EINVAL);
	assert_int_equal(mmu_vm_set_nr_mmu_pages(&f->vm, 100), 0);
	assert_hex("requested budget", 100, f->vm.n_max_mmu_pages);
	mmu_vm_memslots_changed(&f->vm);
	assert_hex("a requested budget survives memslot changes", 100, f->vm.n_max_mmu_pages);
}

/* ---- get / find ------------------------------------------------------------ */

static void test_get_page_creates_then_reuses_same_gfn_and_role(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *a, *b;

	a = get(f, 0x1234, shadow_role(4));
	assert_hex("n_used after create", 1, f->vm.n_used_mmu_pages);
	assert_hex("cache miss after create", 1, f->vm.stats.mmu_cache_miss);
	assert_true(f->ev[f->nev - 1].kind == MMU_EV_GET_PAGE && f->ev[f->nev - 1].u.page.created);
	b = get(f, 0x1234, shadow_role(4));
	assert_ptr_equal(a, b);
	assert_false(f->ev[f->nev - 1].u.page.created);
	assert_hex("event gfn", 0x1234, f->ev[f->nev - 1].u.page.sp.gfn);
	assert_hex("event role", 0x3704, f->ev[f->nev - 1].u.page.sp.role);
	assert_hex("n_used after reuse", 1, f->vm.n_used_mmu_pages);
	assert_hex("cache miss after reuse", 1, f->vm.stats.mmu_cache_miss);
	assert_ptr_equal(mmu_sptep_to_sp(&f->vm, sptep_of(a, 17)), a);
	assert_hex("fresh SPTE is SHADOW_NONPRESENT_VALUE", SHADOW_NONPRESENT_VALUE,
		   spte_at(f, sptep_of(a, 17)));
	assert_hex("indirect_shadow_pages", 1, f->vm.indirect_shadow_pages);
}

static void test_role_mismatch_makes_a_second_page(void **state)
{
	struct fx *f = *state;
	union kvm_mmu_page_role wp0 = shadow_role(4);
	struct kvm_mmu_page *a, *b;

	wp0.cr0_wp = 0;
	a = get(f, 0x1234, shadow_role(4));
	b = get(f, 0x1234, wp0);
	assert_ptr_not_equal(a, b);
	assert_hex("n_used", 2, f->vm.n_used_mmu_pages);
	assert_hex("write-track count: one per upper-level SP", 2,
		   mmu_gfn_write_track_count(&f->vm, 0, 0x1234));
	assert_ptr_equal(nth_in_bucket(&f->vm, 0x1234, 0), b);
	assert_ptr_equal(nth_in_bucket(&f->vm, 0x1234, 1), a);
}

static void test_new_pages_go_to_the_head_of_bucket_and_active_list(void **state)
{
	struct fx *f = *state;
	gfn_t g1 = 0x40, g2 = colliding_gfn(0x40, 0x40), g3 = 0x41;
	struct kvm_mmu_page *a = get(f, g1, shadow_role(2));
	struct kvm_mmu_page *c = get(f, g3, shadow_role(2));
	struct kvm_mmu_page *b = get(f, g2, shadow_role(2));

	assert_ptr_equal(nth_in_bucket(&f->vm, g1, 0), b);
	assert_ptr_equal(nth_in_bucket(&f->vm, g1, 1), a);
	assert_null(nth_in_bucket(&f->vm, g1, 2));
	assert_ptr_equal(nth_active(&f->vm, 0), b);
	assert_ptr_equal(nth_active(&f->vm, 1), c);
	assert_ptr_equal(nth_active(&f->vm, 2), a);
	assert_hex("serial is creation order", 2, b->serial - a->serial);
}

static void test_collisions_stat_is_the_peak_of_one_lookup(void **state)
{
	struct fx *f = *state;
	gfn_t g1 = 0x77, g2 = colliding_gfn(g1, g1), g3 = colliding_gfn(g1, g2);

	get(f, g1, shadow_role(2));
	get(f, g2, shadow_role(2));
	get(f, g3, shadow_role(2));
	/* Creating g2 skipped g1, creating g3 skipped g2 and g1. */
	assert_hex("after creating three", 2, f->vm.stats.max_mmu_page_hash_collisions);
	get(f, g3, shadow_role(2)); /* head of the bucket: no collision */
	assert_hex("a shorter lookup keeps the peak", 2, f->vm.stats.max_mmu_page_hash_collisions);
	get(f, colliding_gfn(g1, g3), shadow_role(2));
	assert_hex("a new peak", 3, f->vm.stats.max_mmu_page_hash_collisions);
}

static void test_cache_miss_counts_lookups_that_allocate(void **state)
{
	struct fx *f = *state;

	for (gfn_t g = 0x100; g < 0x105; g++)
		get(f, g, shadow_role(3));
	for (gfn_t g = 0x100; g < 0x105; g++)
		get(f, g, shadow_role(3));
	assert_hex("mmu_cache_miss", 5, f->vm.stats.mmu_cache_miss);
	assert_hex("GET_PAGE events", 10, count_kind(f, MMU_EV_GET_PAGE));
}

/* ---- account_shadowed / write tracking ------------------------------------ */

static void test_upper_level_sp_write_protects_and_write_tracks_its_gfn(void **state)
{
	struct fx *f = *state;
	u64 sptep = map_4k(f, 0x205, true);
	u64 flushes;

	assert_true(spte_at(f, sptep) & SPTE_W);
	assert_true(spte_at(f, sptep) & DEFAULT_SPTE_MMU_WRITABLE);
	flushes = f->vm.stats.remote_tlb_flush_requests;
	f->vm.req_tlb_flush = false;

	get(f, 0x205, shadow_role(2));
	assert_false(spte_at(f, sptep) & SPTE_W);
	assert_false(spte_at(f, sptep) & DEFAULT_SPTE_MMU_WRITABLE);
	assert_true(spte_at(f, sptep) & DEFAULT_SPTE_HOST_WRITABLE);
	assert_hex("write-track count AS 0", 1, mmu_gfn_write_track_count(&f->vm, 0, 0x205));
	assert_hex("write-track count AS 1", 0, mmu_gfn_write_track_count(&f->vm, 1, 0x205));
	assert_true(mmu_gfn_is_write_tracked(&f->vm, 0, 0x205));
	assert_hex("disallow_lpage 2M", 1, mmu_gfn_disallow_lpage(&f->vm, 0, 0x205, 2));
	/* The 1G region also pokes out of the 64 MiB slot: +1. */
	assert_hex("disallow_lpage 1G", 2, mmu_gfn_disallow_lpage(&f->vm, 0, 0x205, 3));
	assert_hex("remote flush requested", flushes + 1, f->vm.stats.remote_tlb_flush_requests);
	assert_true(f->vm.req_tlb_flush);
	assert_hex("wrprot event gfn", 0x205, last_of(f, MMU_EV_WRPROT_GFN)->u.wrprot.gfn);
	assert_hex("wrprot event changed", 1, last_of(f, MMU_EV_WRPROT_GFN)->u.wrprot.changed);
}

static void test_4k_sp_disallows_lpage_but_is_not_write_tracked(void **state)
{
	struct fx *f = *state;
	u64 sptep = map_4k(f, 0x305, true);

	get(f, 0x305, shadow_role(1));
	assert_false(spte_at(f, sptep) & SPTE_W);
	assert_hex("write-track count", 0, mmu_gfn_write_track_count(&f->vm, 0, 0x305));
	assert_hex("disallow_lpage 2M", 1, mmu_gfn_disallow_lpage(&f->vm, 0, 0x305, 2));
	assert_hex("disallow_lpage 1G (+1 slot edge)", 2,
		   mmu_gfn_disallow_lpage(&f->vm, 0, 0x305, 3));
	assert_hex("neighbouring 2M region", 0, mmu_gfn_disallow_lpage(&f->vm, 0, 0x405, 2));
}

static void test_smm_sp_accounts_and_write_protects_in_address_space_1(void **state)
{
	struct fx *f = *state;
	union kvm_mmu_page_role smm_pt = direct_role(1), smm_pd = shadow_role(2);
	struct kvm_mmu_page *pt0, *pt1, *pd;
	u64 s0, s1;

	smm_pt.smm = 1;
	smm_pd.smm = 1;
	pt0 = get(f, 0x400, direct_role(1));
	pt1 = get(f, 0x400, smm_pt);
	s0 = sptep_of(pt0, 7);
	s1 = sptep_of(pt1, 7);
	mmu_set_spte(&f->vm, s0, ACC_ALL, true, 1, 0x407, 0x100407, false, true);
	mmu_set_spte(&f->vm, s1, ACC_ALL, true, 1, 0x407, 0x100407, false, true);

	pd = get(f, 0x407, smm_pd);
	assert_hex("role word", 0x01003702, pd->role.word);
	assert_hex("write-track count AS 1", 1, mmu_gfn_write_track_count(&f->vm, 1, 0x407));
	assert_hex("write-track count AS 0", 0, mmu_gfn_write_track_count(&f->vm, 0, 0x407));
	assert_hex("disallow_lpage AS 1", 1, mmu_gfn_disallow_lpage(&f->vm, 1, 0x407, 2));
	assert_hex("disallow_lpage AS 0", 0, mmu_gfn_disallow_lpage(&f->vm, 0, 0x407, 2));
	/* be911771330a: only the SP's own address space is write-protected. */
	assert_false(spte_at(f, s1) & SPTE_W);
	assert_true(spte_at(f, s0) & SPTE_W);
	assert_hex("wrprot event as", 1, last_of(f, MMU_EV_WRPROT_GFN)->u.wrprot.as);
}

static void test_set_spte_on_write_tracked_gfn_emulates_with_read_only_spte(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt;
	u64 sptep;
	int ret;

	get(f, 0x505, shadow_role(3));
	pt = get(f, 0x400, direct_role(1));
	sptep = sptep_of(pt, 0x105);
	ret = mmu_set_spte(&f->vm, sptep, ACC_ALL, true, 1, 0x505, 0x100505, false, true);
	assert_hex("write fault on a write-tracked gfn", RET_PF_EMULATE, ret);
	assert_true(is_shadow_present_pte(spte_at(f, sptep)));
	assert_false(spte_at(f, sptep) & SPTE_W);
	ret = mmu_set_spte(&f->vm, sptep, ACC_ALL, false, 1, 0x505, 0x100505, false, true);
	assert_hex("a read fault on the same mapping", RET_PF_SPURIOUS, ret);
	assert_hex("set_spte event gfn", 0x505, last_of(f, MMU_EV_SET_SPTE)->u.set_spte.gfn);
	assert_hex("set_spte event sptep", sptep, last_of(f, MMU_EV_SET_SPTE)->u.set_spte.sptep);
	assert_false(last_of(f, MMU_EV_SET_SPTE)->u.set_spte.w);
	assert_hex("unsync refused", MMU_UNSYNC_EPERM,
		   (u64)mmu_try_to_unsync_pages(&f->vm, 0, 0x505, true, false));
}

static void test_write_track_all_as_fix_blocks_unsync_from_the_other_space(void **state)
{
	struct fx *f = *state;
	union kvm_mmu_page_role smm_pd = shadow_role(2);

	smm_pd.smm = 1;
	get(f, 0x606, smm_pd);
	/* Before 0f38453cdb2e only the writer's address space was checked. */
	assert_false(mmu_gfn_is_write_tracked(&f->vm, 0, 0x606));
	f->vm.write_track_all_as = true;
	assert_true(mmu_gfn_is_write_tracked(&f->vm, 0, 0x606));
	assert_hex("unsync from AS 0", MMU_UNSYNC_EPERM,
		   (u64)mmu_try_to_unsync_pages(&f->vm, 0, 0x606, true, false));
}

static void test_disallow_lpage_includes_partly_covered_slot_regions(void **state)
{
	struct fx *f = *state;
	struct gmem_slot_desc d = {.as = 0, .id = 1, .base = 0x4100000, .size = 0x100000};

	assert_int_equal(gmem_slot_add(f->gmem, &d), 0);
	assert_hex("2M region cut by the slot start", 1,
		   mmu_gfn_disallow_lpage(&f->vm, 0, 0x4100, 2));
	assert_hex("1G region cut", 1, mmu_gfn_disallow_lpage(&f->vm, 0, 0x4100, 3));
	assert_hex("2M region inside slot 0", 0, mmu_gfn_disallow_lpage(&f->vm, 0, 0x200, 2));
	assert_hex("1G region beyond slot 0's end", 1, mmu_gfn_disallow_lpage(&f->vm, 0, 0x200, 3));
}

/* ---- unsync ---------------------------------------------------------------- */

/* A three-level shadow chain: PDPT(l3, gfn 0x10) -> PD(l2, 0x11) -> PT(l1, 0x12),
 * linked at entries 3 and 5. */
struct chain {
	struct kvm_mmu_page *l3, *l2, *l1;
};

static struct chain build_chain(struct fx *f)
{
	struct chain c;

	c.l3 = get(f, 0x10, shadow_role(3));
	c.l2 = get(f, 0x11, mmu_child_role(&f->vm, sptep_of(c.l3, 3), false, ACC_ALL));
	mmu_link_shadow_page(&f->vm, sptep_of(c.l3, 3), c.l2);
	c.l1 = get(f, 0x12, mmu_child_role(&f->vm, sptep_of(c.l2, 5), false, ACC_ALL));
	mmu_link_shadow_page(&f->vm, sptep_of(c.l2, 5), c.l1);
	return c;
}

static void test_write_to_a_4k_shadowed_gfn_unsyncs_it_and_marks_parents(void **state)
{
	struct fx *f = *state;
	struct chain c = build_chain(f);
	u64 sptep;
	int ret;

	assert_hex("child role", 0x3701, c.l1->role.word);
	assert_hex("parent SPTE points at the child", c.l2->spt,
		   spte_at(f, sptep_of(c.l3, 3)) & SPTE_BASE_ADDR_MASK);
	sptep = sptep_of(get(f, 0, direct_role(1)), 0x12);
	ret = mmu_set_spte(&f->vm, sptep, ACC_ALL, true, 1, 0x12, 0x100012, false, true);
	assert_hex("write mapping of an unsyncable gfn", RET_PF_FIXED, ret);
	assert_true(spte_at(f, sptep) & SPTE_W);
	assert_true(c.l1->unsync);
	assert_hex("mmu_unsync", 1, f->vm.stats.mmu_unsync);
	assert_hex("l2 unsync_children", 1, c.l2->unsync_children);
	assert_hex("l2 bitmap", 1ULL << 5, c.l2->unsync_child_bitmap[0]);
	assert_hex("l3 unsync_children", 1, c.l3->unsync_children);
	assert_hex("l3 bitmap", 1ULL << 3, c.l3->unsync_child_bitmap[0]);
	/* The event shows the page before the change, as KVM's trace does. */
	assert_false(last_of(f, MMU_EV_UNSYNC_PAGE)->u.page.sp.unsync);
	assert_hex("unsync event gfn", 0x12, last_of(f, MMU_EV_UNSYNC_PAGE)->u.page.sp.gfn);
}

static void test_prefetch_and_syncing_do_not_unsync(void **state)
{
	struct fx *f = *state;

	get(f, 0x12, shadow_role(1));
	assert_hex("prefetch", MMU_UNSYNC_EEXIST,
		   (u64)mmu_try_to_unsync_pages(&f->vm, 0, 0x12, true, true));
	assert_hex("while syncing", MMU_UNSYNC_EPERM,
		   (u64)mmu_try_to_unsync_pages(&f->vm, 0, 0x12, false, false));
	assert_hex("no shadow page", 0,
		   (u64)mmu_try_to_unsync_pages(&f->vm, 0, 0x13, false, false));
	assert_hex("mmu_unsync", 0, f->vm.stats.mmu_unsync);
}

static void test_linking_an_unsync_child_marks_the_parent(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pd = get(f, 0x20, shadow_role(2));
	struct kvm_mmu_page *pt = get(f, 0x21, shadow_role(1));

	mmu_unsync_page(&f->vm, pt);
	mmu_link_shadow_page(&f->vm, sptep_of(pd, 70), pt);
	assert_hex("pd unsync_children", 1, pd->unsync_children);
	assert_hex("pd bitmap word 1", 1ULL << 6, pd->unsync_child_bitmap[1]);
	assert_hex("pt parent count", sptep_of(pd, 70), pt->parent_ptes.single);
}

static void test_upper_level_request_zaps_unsync_leaf_of_the_gfn(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt = get(f, 0x30, shadow_role(1)), *pd;
	hpa_t pt_spt = pt->spt;

	mmu_unsync_page(&f->vm, pt);
	pd = get(f, 0x30, shadow_role(2));
	assert_hex("mmu_shadow_zapped", 1, f->vm.stats.mmu_shadow_zapped);
	assert_hex("mmu_unsync", 0, f->vm.stats.mmu_unsync);
	assert_hex("zapped page", 0x30, last_of(f, MMU_EV_PREPARE_ZAP)->u.page.sp.gfn);
	assert_hex("zapped page role", 0x3701, last_of(f, MMU_EV_PREPARE_ZAP)->u.page.sp.role);
	/* Committed before the allocation: the new page reuses the freed table. */
	assert_hex("new page's table", pt_spt, pd->spt);
	assert_hex("n_used", 1, f->vm.n_used_mmu_pages);
}

static void test_unsync_match_is_synced_and_reused_or_rebuilt(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt = get(f, 0x31, shadow_role(1)), *again;
	u64 flushes = f->vm.stats.remote_tlb_flush_requests;
	u32 serial;

	mmu_unsync_page(&f->vm, pt);
	pt->write_flooding_count = 2;
	f->sync_ret = 1;
	again = get(f, 0x31, shadow_role(1));
	assert_ptr_equal(pt, again);
	assert_true(pt->unsync); /* kvm_sync_page() leaves it unsync */
	assert_hex("write_flooding_count cleared", 0, pt->write_flooding_count);
	assert_hex("sync changed something: flush", flushes + 1,
		   f->vm.stats.remote_tlb_flush_requests);
	f->sync_ret = -1;
	again = get(f, 0x31, shadow_role(1));
	assert_hex("sync calls", 2, f->sync_calls);
	assert_false(again->unsync);
	assert_true(f->ev[f->nev - 1].u.page.created);
	assert_hex("cache miss: create + failed sync", 2, f->vm.stats.mmu_cache_miss);
	/* Without a sync hook every unsync match is zapped and rebuilt. */
	f->vm.sync_page = NULL;
	serial = again->serial;
	mmu_unsync_page(&f->vm, again);
	assert_true(f->ev[f->nev - 1].kind == MMU_EV_UNSYNC_PAGE);
	assert_hex("rebuilt", serial + 1, get(f, 0x31, shadow_role(1))->serial);
}

static void test_sync_children_write_protects_and_syncs_unsync_leaves(void **state)
{
	struct fx *f = *state;
	struct chain c = build_chain(f);
	u64 sptep = sptep_of(get(f, 0, direct_role(1)), 0x12);

	mmu_set_spte(&f->vm, sptep, ACC_ALL, true, 1, 0x12, 0x100012, false, true);
	assert_true(c.l1->unsync);
	f->sync_ret = 0;
	assert_int_equal(mmu_sync_children(&f->vm, c.l3, true), 0);
	assert_false(c.l1->unsync);
	assert_false(spte_at(f, sptep) & SPTE_W);
	assert_hex("sync hook calls", 1, f->sync_calls);
	assert_hex("mmu_unsync", 0, f->vm.stats.mmu_unsync);
	assert_hex("l2 unsync_children", 0, c.l2->unsync_children);
	assert_hex("l3 unsync_children", 0, c.l3->unsync_children);
	assert_hex("l3 bitmap", 0, c.l3->unsync_child_bitmap[0]);
	assert_true(last_of(f, MMU_EV_SYNC_PAGE)->u.page.sp.unsync);
}

/* ---- zapping ---------------------------------------------------------------- */

static void test_prepare_zap_of_a_parent_unlinks_children_and_parents(void **state)
{
	struct fx *f = *state;
	struct chain c = build_chain(f);
	struct mlist invalid;
	u64 leaf = sptep_of(c.l1, 9);
	int nr = -1;

	mmu_set_spte(&f->vm, leaf, ACC_EXEC | ACC_USER, false, 1, 0x999, 0x100999, false, true);
	assert_hex("pages_4k", 1, f->vm.stats.pages_4k);
	mlist_init(&invalid);
	assert_false(mmu_prepare_zap_page(&f->vm, c.l2, &invalid, &nr));
	assert_hex("nr_zapped: itself", 1, nr);
	assert_hex("parent entry cleared", SHADOW_NONPRESENT_VALUE, spte_at(f, sptep_of(c.l3, 3)));
	assert_hex("child link cleared", SHADOW_NONPRESENT_VALUE, spte_at(f, sptep_of(c.l2, 5)));
	assert_hex("child has no parent", 0, c.l1->parent_ptes.single);
	assert_true(c.l2->role.invalid);
	assert_hex("write tracking dropped", 0, mmu_gfn_write_track_count(&f->vm, 0, 0x11));
	assert_hex("leaf kept", 1, f->vm.stats.pages_4k);
	assert_hex("n_used before commit", 2, f->vm.n_used_mmu_pages);
	mmu_commit_zap_page(&f->vm, &invalid);
	assert_hex("tables left: l3, l1", 2, hmem_used_pages(f->hmem));
	assert_null(nth_in_bucket(&f->vm, 0x11, 0));
	/* Zapping the leaf table drops its SPTE and the page statistic. */
	mlist_init(&invalid);
	mmu_prepare_zap_page(&f->vm, c.l1, &invalid, &nr);
	mmu_commit_zap_page(&f->vm, &invalid);
	assert_hex("pages_4k after zap", 0, f->vm.stats.pages_4k);
	assert_hex("rmap emptied", 0, mmu_rmap_get(&f->vm, 0, 0x999, 1, NULL, 0));
}

static void test_zapping_a_parent_zaps_its_unsync_descendants(void **state)
{
	struct fx *f = *state;
	struct chain c = build_chain(f);
	struct mlist invalid;
	int nr;

	mmu_unsync_page(&f->vm, c.l1);
	mlist_init(&invalid);
	assert_true(mmu_prepare_zap_page(&f->vm, c.l3, &invalid, &nr));
	assert_hex("l1 and l3 zapped", 2, nr);
	assert_true(c.l1->role.invalid);
	assert_false(c.l2->role.invalid);
	assert_hex("mmu_unsync", 0, f->vm.stats.mmu_unsync);
	mmu_commit_zap_page(&f->vm, &invalid);
	assert_hex("n_used", 1, f->vm.n_used_mmu_pages);
}

static void test_root_count_keeps_a_zapped_page_until_released(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *root = get(f, 0x50, shadow_role(4));
	struct mlist invalid;
	hpa_t spt = root->spt;
	int nr;

	root->root_count = 1;
	mlist_init(&invalid);
	mmu_prepare_zap_page(&f->vm, root, &invalid, &nr);
	assert_hex("nr_zapped", 0, nr);
	assert_true(mlist_empty(&invalid));
	assert_true(root->role.invalid);
	assert_true(f->vm.req_free_obsolete_roots);
	assert_true(mlist_empty(&f->vm.active_mmu_pages));
	assert_hex("still counted", 1, f->vm.n_used_mmu_pages);
	assert_hex("write tracking dropped", 0, mmu_gfn_write_track_count(&f->vm, 0, 0x50));
	assert_null(mmu_find_shadow_page(&f->vm, 0x50, shadow_role(4), &invalid));

	root->root_count = 0; /* mmu_free_root_page() */
	mmu_prepare_zap_page(&f->vm, root, &invalid, &nr);
	assert_hex("nr_zapped", 1, nr);
	assert_hex("write tracking not dropped twice", 0,
		   mmu_gfn_write_track_count(&f->vm, 0, 0x50));
	mmu_commit_zap_page(&f->vm, &invalid);
	assert_hex("n_used", 0, f->vm.n_used_mmu_pages);
	assert_null(mmu_sptep_to_sp(&f->vm, spt));
	assert_hex("PREPARE_ZAP events", 2, count_kind(f, MMU_EV_PREPARE_ZAP));
}

static void test_zap_oldest_starts_at_the_tail_and_skips_roots(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *a = get(f, 0x60, shadow_role(4));
	struct kvm_mmu_page *b = get(f, 0x61, shadow_role(3));
	struct kvm_mmu_page *d;

	get(f, 0x62, shadow_role(3));
	d = get(f, 0x63, shadow_role(3));
	a->root_count = 1;
	f->nev = 0;
	assert_hex("zapped", 2, mmu_zap_oldest_mmu_pages(&f->vm, 2));
	assert_hex("first zapped: oldest non-root", 0x61, f->ev[0].u.page.sp.gfn);
	assert_hex("second zapped", 0x62, f->ev[1].u.page.sp.gfn);
	assert_hex("mmu_recycled", 2, f->vm.stats.mmu_recycled);
	assert_ptr_equal(nth_active(&f->vm, 0), d);
	assert_ptr_equal(nth_active(&f->vm, 1), a);
	assert_null(nth_active(&f->vm, 2));
	(void)b;
	a->root_count = 0;
}

static void test_make_pages_available_refills_under_a_small_budget(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *root;

	mmu_change_mmu_pages(&f->vm, 64);
	root = get(f, 0x70, shadow_role(4));
	root->root_count = 1;
	for (gfn_t g = 0x71; g < 0x71 + 61; g++)
		get(f, g, shadow_role(3));
	assert_hex("n_used", 62, f->vm.n_used_mmu_pages);
	assert_int_equal(mmu_make_pages_available(&f->vm), 0);
	/* 2 available < 5: zap 25 - 2 = 23 oldest, the root skipped. */
	assert_hex("n_used after refill", 39, f->vm.n_used_mmu_pages);
	assert_hex("mmu_recycled", 23, f->vm.stats.mmu_recycled);
	assert_ptr_equal(nth_active(&f->vm, 38), root);
	assert_hex("oldest survivor", 0x71 + 23, nth_active(&f->vm, 37)->gfn);
	assert_int_equal(mmu_make_pages_available(&f->vm), 0);
	assert_hex("enough free: nothing zapped", 23, f->vm.stats.mmu_recycled);
	/* Only a pinned root left and no room: -ENOSPC. */
	mmu_zap_oldest_mmu_pages(&f->vm, 100);
	f->vm.n_max_mmu_pages = 1;
	assert_int_equal(mmu_make_pages_available(&f->vm), MSC_ENOSPC);
	root->root_count = 0;
}

static void test_change_mmu_pages_zaps_down_to_the_goal(void **state)
{
	struct fx *f = *state;

	for (gfn_t g = 0x80; g < 0x80 + 70; g++)
		get(f, g, shadow_role(2));
	mmu_change_mmu_pages(&f->vm, 64);
	assert_hex("n_used", 64, f->vm.n_used_mmu_pages);
	assert_hex("n_max", 64, f->vm.n_max_mmu_pages);
	assert_hex("mmu_recycled", 6, f->vm.stats.mmu_recycled);
	assert_hex("oldest survivor", 0x86, nth_active(&f->vm, 63)->gfn);
}

static void test_zap_all_fast_toggles_the_generation_and_zaps_obsolete_pages(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *root = get(f, 0x90, shadow_role(4)), *fresh;
	const struct mmu_event *ev;

	get(f, 0x91, shadow_role(3));
	get(f, 0x92, shadow_role(3));
	root->root_count = 1;
	mmu_zap_all_fast(&f->vm);
	ev = last_of(f, MMU_EV_ZAP_ALL_FAST);
	assert_hex("event: old generation", 0, ev->u.zap_all.gen);
	assert_hex("event: used pages", 3, ev->u.zap_all.used_pages);
	assert_hex("mmu_valid_gen", 1, f->vm.mmu_valid_gen);
	assert_true(f->vm.req_free_obsolete_roots);
	assert_hex("pinned root stays counted", 1, f->vm.n_used_mmu_pages);
	assert_true(mlist_empty(&f->vm.active_mmu_pages));
	assert_true(mmu_is_obsolete_sp(&f->vm, root));
	fresh = get(f, 0x91, shadow_role(3));
	assert_hex("new page's generation", 1, fresh->mmu_valid_gen);
	assert_hex("PREPARE_ZAP events", 3, count_kind(f, MMU_EV_PREPARE_ZAP));
	root->root_count = 0;
}

static void test_unprotect_page_zaps_every_page_with_gptes_at_the_gfn(void **state)
{
	struct fx *f = *state;
	union kvm_mmu_page_role smm = shadow_role(2);

	smm.smm = 1;
	get(f, 0xa0, shadow_role(2));
	get(f, 0xa0, smm);
	get(f, 0xa0, direct_role(1)); /* no gptes: kept */
	assert_true(mmu_unprotect_page(&f->vm, 0, 0xa0));
	assert_hex("n_used", 1, f->vm.n_used_mmu_pages);
	assert_false(mmu_unprotect_page(&f->vm, 0, 0xa0));
	assert_hex("write tracking released", 0, mmu_gfn_write_track_count(&f->vm, 1, 0xa0));
}

static void test_zap_all_frees_every_table(void **state)
{
	struct fx *f = *state;

	build_chain(f);
	map_4k(f, 0x1000, true);
	mmu_zap_all(&f->vm);
	assert_hex("n_used", 0, f->vm.n_used_mmu_pages);
	assert_hex("hmem pages", 0, hmem_used_pages(f->hmem));
	assert_hex("pages_4k", 0, f->vm.stats.pages_4k);
	assert_hex("indirect_shadow_pages", 0, f->vm.indirect_shadow_pages);
}

/* ---- rmaps and SPTEs ------------------------------------------------------ */

static void test_rmap_order_follows_pte_list_desc_rules(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt = get(f, 0xb0, shadow_role(1));
	u64 got[20], want[20];
	unsigned n;

	for (unsigned i = 0; i < 16; i++)
		mmu_set_spte(&f->vm, sptep_of(pt, i), ACC_EXEC | ACC_USER, false, 1, 0xc00,
			     0x100c00, false, true);
	assert_hex("max_mmu_rmap_size", 15, f->vm.stats.max_mmu_rmap_size);
	/* Head descriptor [e14 e15], tail [e0 .. e13]. */
	n = mmu_rmap_get(&f->vm, 0, 0xc00, 1, got, 20);
	assert_hex("rmap size", 16, n);
	want[0] = sptep_of(pt, 14);
	want[1] = sptep_of(pt, 15);
	for (unsigned i = 0; i < 14; i++)
		want[2 + i] = sptep_of(pt, i);
	for (unsigned i = 0; i < n; i++)
		assert_hex("rmap entry", want[i], got[i]);

	/* Removing e3 moves the head's last entry (e15) into the hole. */
	assert_true(mmu_zap_spte(&f->vm, sptep_of(pt, 3)));
	n = mmu_rmap_get(&f->vm, 0, 0xc00, 1, got, 20);
	assert_hex("rmap size", 15, n);
	assert_hex("head", sptep_of(pt, 14), got[0]);
	assert_hex("hole filled", sptep_of(pt, 15), got[4]);
	/* Removing e14 empties the head descriptor: the full tail becomes the head. */
	assert_true(mmu_zap_spte(&f->vm, sptep_of(pt, 14)));
	n = mmu_rmap_get(&f->vm, 0, 0xc00, 1, got, 20);
	assert_hex("rmap size", 14, n);
	assert_hex("new head", sptep_of(pt, 0), got[0]);
	assert_hex("e15 in e3's place", sptep_of(pt, 15), got[3]);
	assert_hex("pages_4k", 14, f->vm.stats.pages_4k);
	assert_false(mmu_zap_spte(&f->vm, sptep_of(pt, 14)));
}

static void test_rmap_chain_over_the_recycle_threshold_is_zapped(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt1 = get(f, 0xd0, shadow_role(1));
	struct kvm_mmu_page *pt2 = get(f, 0xd1, shadow_role(1));
	u64 flushes;

	for (unsigned i = 0; i < RMAP_RECYCLE_THRESHOLD + 1; i++) {
		struct kvm_mmu_page *pt = i < 512 ? pt1 : pt2;

		mmu_set_spte(&f->vm, sptep_of(pt, i % 512), ACC_EXEC | ACC_USER, false, 1, 0xe00,
			     0x100e00, false, true);
	}
	assert_hex("chain at the threshold", RMAP_RECYCLE_THRESHOLD + 1,
		   mmu_rmap_get(&f->vm, 0, 0xe00, 1, NULL, 0));
	flushes = f->vm.stats.remote_tlb_flush_requests;
	mmu_set_spte(&f->vm, sptep_of(pt2, 500), ACC_EXEC | ACC_USER, false, 1, 0xe00, 0x100e00,
		     false, true);
	assert_hex("max_mmu_rmap_size", RMAP_RECYCLE_THRESHOLD + 1, f->vm.stats.max_mmu_rmap_size);
	assert_hex("chain recycled", 0, mmu_rmap_get(&f->vm, 0, 0xe00, 1, NULL, 0));
	assert_hex("pages_4k", 0, f->vm.stats.pages_4k);
	assert_hex("SPTE cleared", SHADOW_NONPRESENT_VALUE, spte_at(f, sptep_of(pt1, 0)));
	assert_hex("flushed", flushes + 1, f->vm.stats.remote_tlb_flush_requests);
}

static void test_page_stats_count_leaves_by_size(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pd = get(f, 0, direct_role(2));
	struct kvm_mmu_page *pt;
	u64 huge = sptep_of(pd, 3), r = 0;

	mmu_set_spte(&f->vm, huge, ACC_ALL, false, 2, 0x600, 0x100600, false, true);
	assert_true(is_large_pte(spte_at(f, huge)));
	map_4k(f, 0x1001, false);
	assert_hex("pages_2m", 1, f->vm.stats.pages_2m);
	assert_hex("pages_4k", 1, f->vm.stats.pages_4k);
	assert_hex("2M rmap size", 1, mmu_rmap_get(&f->vm, 0, 0x600, 2, &r, 1));
	assert_hex("2M rmap entry", huge, r);

	/* A PT linked under the huge SPTE drops it first. */
	pt = get(f, 0x600, mmu_child_role(&f->vm, huge, true, ACC_ALL));
	mmu_link_shadow_page(&f->vm, huge, pt);
	assert_hex("pages_2m after split", 0, f->vm.stats.pages_2m);
	assert_false(is_large_pte(spte_at(f, huge)));
	/* A huge leaf over the PT unlinks it. */
	mmu_set_spte(&f->vm, huge, ACC_ALL, false, 2, 0x600, 0x100600, false, true);
	assert_hex("pages_2m again", 1, f->vm.stats.pages_2m);
	assert_hex("PT lost its parent", 0, pt->parent_ptes.single);
}

static void test_child_role_takes_quadrant_from_the_pde_index(void **state)
{
	struct fx *f = *state;
	union kvm_mmu_page_role pd_role = {.word = 0x3752}; /* 2-level guest, quadrant 2 */
	struct kvm_mmu_page *pd = get(f, 0xf0, pd_role);
	union kvm_mmu_page_role r;

	r = mmu_child_role(&f->vm, sptep_of(pd, 5), false, ACC_WRITE | ACC_USER);
	assert_hex("odd PDE index", 0x3631, r.word);
	r = mmu_child_role(&f->vm, sptep_of(pd, 6), true, ACC_ALL);
	assert_hex("even PDE index, direct", 0x3791, r.word);
	pd_role.word = 0x43704; /* passthrough */
	r = mmu_child_role(&f->vm, sptep_of(get(f, 0xf1, pd_role), 0), false, ACC_ALL);
	assert_hex("passthrough is not inherited", 0x3703, r.word);
}

static void test_set_spte_with_a_new_pfn_replaces_the_old_mapping(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt = get(f, 0x200, direct_role(1));
	u64 sptep = sptep_of(pt, 1);
	u64 flushes;

	mmu_set_spte(&f->vm, sptep, ACC_ALL, false, 1, 0x201, 0x100201, false, true);
	flushes = f->vm.stats.remote_tlb_flush_requests;
	assert_hex(
		"remap", RET_PF_FIXED,
		(u64)mmu_set_spte(&f->vm, sptep, ACC_ALL, false, 1, 0x201, 0x200201, false, true));
	assert_hex("new pfn", 0x200201, spte_to_pfn(spte_at(f, sptep)));
	assert_hex("flush for the old pfn", flushes + 1, f->vm.stats.remote_tlb_flush_requests);
	assert_hex("one rmap entry", 1, mmu_rmap_get(&f->vm, 0, 0x201, 1, NULL, 0));
	assert_hex("pages_4k", 1, f->vm.stats.pages_4k);
	assert_hex("access bits kept in the role", ACC_ALL, mmu_page_get_access(pt, 1));
	assert_hex("direct gfn", 0x201, mmu_page_get_gfn(pt, 1));
}

static void test_events_of_a_page_life_in_order(void **state)
{
	struct fx *f = *state;
	struct kvm_mmu_page *pt;
	struct mlist invalid;
	/* account_shadowed() runs inside the allocation, before the get trace. */
	static const enum mmu_ev_kind want[] = {MMU_EV_GET_PAGE,   MMU_EV_SET_SPTE,
						MMU_EV_WRPROT_GFN, MMU_EV_GET_PAGE,
						MMU_EV_GET_PAGE,   MMU_EV_PREPARE_ZAP};

	f->nev = 0;
	pt = get(f, 0x300, direct_role(1));
	mmu_set_spte(&f->vm, sptep_of(pt, 2), ACC_ALL, true, 1, 0x302, 0x100302, false, true);
	pt = get(f, 0x302, shadow_role(1));
	get(f, 0x302, shadow_role(1));
	mlist_init(&invalid);
	mmu_prepare_zap_page(&f->vm, pt, &invalid, NULL);
	mmu_commit_zap_page(&f->vm, &invalid);
	assert_hex("events", MSC_ARRAY_SIZE(want), f->nev);
	for (unsigned i = 0; i < f->nev; i++)
		assert_hex("event kind", want[i], f->ev[i].kind);
	assert_true(f->ev[3].u.page.created);
	assert_false(f->ev[4].u.page.created);
	assert_hex("set_spte level", 1, f->ev[1].u.set_spte.level);
	assert_true(f->ev[1].u.set_spte.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_hashfn_matches_kvm_hash_64_values),
		T(test_default_budget_is_memslot_pages_over_50_at_least_64),
		T(test_get_page_creates_then_reuses_same_gfn_and_role),
		T(test_role_mismatch_makes_a_second_page),
		T(test_new_pages_go_to_the_head_of_bucket_and_active_list),
		T(test_collisions_stat_is_the_peak_of_one_lookup),
		T(test_cache_miss_counts_lookups_that_allocate),
		T(test_upper_level_sp_write_protects_and_write_tracks_its_gfn),
		T(test_4k_sp_disallows_lpage_but_is_not_write_tracked),
		T(test_smm_sp_accounts_and_write_protects_in_address_space_1),
		T(test_set_spte_on_write_tracked_gfn_emulates_with_read_only_spte),
		T(test_write_track_all_as_fix_blocks_unsync_from_the_other_space),
		T(test_disallow_lpage_includes_partly_covered_slot_regions),
		T(test_write_to_a_4k_shadowed_gfn_unsyncs_it_and_marks_parents),
		T(test_prefetch_and_syncing_do_not_unsync),
		T(test_linking_an_unsync_child_marks_the_parent),
		T(test_upper_level_request_zaps_unsync_leaf_of_the_gfn),
		T(test_unsync_match_is_synced_and_reused_or_rebuilt),
		T(test_sync_children_write_protects_and_syncs_unsync_leaves),
		T(test_prepare_zap_of_a_parent_unlinks_children_and_parents),
		T(test_zapping_a_parent_zaps_its_unsync_descendants),
		T(test_root_count_keeps_a_zapped_page_until_released),
		T(test_zap_oldest_starts_at_the_tail_and_skips_roots),
		T(test_make_pages_available_refills_under_a_small_budget),
		T(test_change_mmu_pages_zaps_down_to_the_goal),
		T(test_zap_all_fast_toggles_the_generation_and_zaps_obsolete_pages),
		T(test_unprotect_page_zaps_every_page_with_gptes_at_the_gfn),
		T(test_zap_all_frees_every_table),
		T(test_rmap_order_follows_pte_list_desc_rules),
		T(test_rmap_chain_over_the_recycle_threshold_is_zapped),
		T(test_page_stats_count_leaves_by_size),
		T(test_child_role_takes_quadrant_from_the_pde_index),
		T(test_set_spte_with_a_new_pfn_replaces_the_old_mapping),
		T(test_events_of_a_page_life_in_order),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
