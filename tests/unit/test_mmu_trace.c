/* SPDX-License-Identifier: MIT */
/*
 * MMU events as text (mmu_event_format): the exact line of every event kind --
 * KVM's kvmmmu TP_printk formats (mmutrace.h; reference appendix B's new TDP
 * root) and mmuscope's root-cache lines -- plus snprintf semantics.
 */
#include "mmu/event.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu/walk.h"
#include "mmu/spte.h"

/* Format @ev and compare with @want, printing both on a mismatch. */
static void check_line(const struct mmu_event *ev, const char *want)
{
	char buf[256];
	int len = mmu_event_format(ev, buf, sizeof(buf));

	if (strcmp(buf, want) != 0)
		fail_msg("event kind %d:\n want \"%s\"\n  got \"%s\"", (int)ev->kind, want, buf);
	if (len != (int)strlen(want))
		fail_msg("event kind %d: want length %zu got %d", (int)ev->kind, strlen(want), len);
}

static struct mmu_event page_ev(enum mmu_ev_kind kind, u8 gen, u64 gfn, u32 role, int root_count,
				bool unsync)
{
	struct mmu_event ev = {.kind = kind};

	ev.u.page.sp.gen = gen;
	ev.u.page.sp.gfn = gfn;
	ev.u.page.sp.role = role;
	ev.u.page.sp.root_count = root_count;
	ev.u.page.sp.unsync = unsync;
	return ev;
}

static void test_get_page_of_new_tdp_root_matches_appendix_b(void **state)
{
	struct mmu_event ev = page_ev(MMU_EV_GET_PAGE, 0, 0, 0x3784, 0, false);

	(void)state;
	ev.u.page.created = true;
	check_line(&ev, "kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux nxe ad root 0 "
			"sync new");
}

static void test_get_page_existing_prints_quadrant_invalid_and_unsync(void **state)
{
	/* 4-byte gptes, quadrant 3, invalid, A/D disabled, level 2. */
	struct mmu_event ev = page_ev(MMU_EV_GET_PAGE, 3, 0x1234, 0x13772 | ROLE_INVALID, 1, true);

	(void)state;
	check_line(&ev, "kvm_mmu_get_page: sp gen 3 gfn 1234 l2 4-byte q3 wux invalid nxe !ad "
			"root 1 unsync existing");
}

static void test_sync_unsync_and_zap_print_the_sp_alone(void **state)
{
	struct mmu_event ev = page_ev(MMU_EV_SYNC_PAGE, 0, 0x5, 0x3701, 0, true);

	(void)state;
	check_line(&ev, "kvm_mmu_sync_page: sp gen 0 gfn 5 l1 8-byte q0 wux nxe ad root 0 unsync");
	ev.kind = MMU_EV_UNSYNC_PAGE;
	ev.u.page.sp.unsync = false;
	check_line(&ev, "kvm_mmu_unsync_page: sp gen 0 gfn 5 l1 8-byte q0 wux nxe ad root 0 sync");
	/* Shadow EPT root: efer_nx clear -> "!nxe"; "created" is not printed. */
	ev = page_ev(MMU_EV_PREPARE_ZAP, 255, 0xabc, 0x20704, 2, false);
	ev.u.page.created = true;
	check_line(&ev, "kvm_mmu_prepare_zap_page: sp gen 255 gfn abc l4 8-byte q0 wux !nxe ad "
			"root 2 sync");
}

static void test_set_spte_prints_rwxu_letters_and_sptep(void **state)
{
	struct mmu_event ev = {.kind = MMU_EV_SET_SPTE};

	(void)state;
	ev.u.set_spte.gfn = 0x13;
	ev.u.set_spte.spte = 0x600000000013b77;
	ev.u.set_spte.sptep = 0x10a0a8;
	ev.u.set_spte.level = 1;
	ev.u.set_spte.ept = true;
	ev.u.set_spte.r = ev.u.set_spte.w = ev.u.set_spte.x = ev.u.set_spte.u = true;
	/* docs/trace-format.md's example line. */
	check_line(&ev, "kvm_mmu_set_spte: gfn 13 spte 600000000013b77 (rwxu) level 1 at 10a0a8");

	ev.u.set_spte.ept = false;
	ev.u.set_spte.w = ev.u.set_spte.u = false;
	ev.u.set_spte.level = 2;
	check_line(&ev, "kvm_mmu_set_spte: gfn 13 spte 600000000013b77 (r-x-) level 2 at 10a0a8");
}

static void test_set_spte_line_from_make_spte_for_ept(void **state)
{
	struct spte_masks m;
	struct make_spte_args a = {
		.role = {.word = 0x3781},
		.pte_access = ACC_USER | ACC_EXEC,
		.level = 1,
		.gfn = 0x13,
		.pfn = 0x13,
		.old_spte = SHADOW_NONPRESENT_VALUE,
		.can_unsync = true,
		.host_writable = true,
	};
	struct mmu_event ev = {.kind = MMU_EV_SET_SPTE};

	(void)state;
	spte_masks_init_ept(&m, true, false, 46);
	assert_false(make_spte(&m, &a, &ev.u.set_spte.spte));
	ev.u.set_spte.gfn = a.gfn;
	ev.u.set_spte.level = a.level;
	ev.u.set_spte.sptep = 0x10a098;
	ev.u.set_spte.ept = true;
	spte_rwxu(&m, ev.u.set_spte.spte, &ev.u.set_spte.r, &ev.u.set_spte.w, &ev.u.set_spte.x,
		  &ev.u.set_spte.u);
	/* KVM prints u for EPT too: its user mask is R. */
	check_line(&ev, "kvm_mmu_set_spte: gfn 13 spte 8200000000013975 (r-xu) level 1 at 10a098");
}

static void test_spte_requested_and_mmio_and_zap_all_fast(void **state)
{
	struct mmu_event ev = {.kind = MMU_EV_SPTE_REQUESTED};

	(void)state;
	ev.u.requested.gfn = 0x1234;
	ev.u.requested.pfn = 0x5634;
	ev.u.requested.level = 2;
	check_line(&ev, "kvm_mmu_spte_requested: gfn 1234 pfn 5634 level 2");

	ev = (struct mmu_event){.kind = MMU_EV_MARK_MMIO_SPTE};
	ev.u.mmio.sptep = 0x10a0a8;
	ev.u.mmio.gfn = 0xfee00;
	ev.u.mmio.access = 7; /* spte & ACC_ALL: W|U plus the MMIO value's P */
	ev.u.mmio.gen = 0x1ff;
	check_line(&ev, "mark_mmio_spte: sptep:0x10a0a8 gfn fee00 access 7 gen 1ff");

	/* mmutrace.h: "addr:%llx gfn %llx access %x". */
	ev = (struct mmu_event){.kind = MMU_EV_HANDLE_MMIO_PF};
	ev.u.mmio_pf.addr = 0x7f000000;
	ev.u.mmio_pf.gfn = 0xfee00;
	ev.u.mmio_pf.access = 6;
	check_line(&ev, "handle_mmio_page_fault: addr:7f000000 gfn fee00 access 6");

	/* mmutrace.h: "spte %llx kvm_gen %x spte-gen %x valid %d". */
	ev = (struct mmu_event){.kind = MMU_EV_CHECK_MMIO_SPTE};
	ev.u.check_mmio.spte = 0x80000fee0002fULL;
	ev.u.check_mmio.kvm_gen = 6;
	ev.u.check_mmio.spte_gen = 4;
	check_line(&ev, "check_mmio_spte: spte 80000fee0002f kvm_gen 6 spte-gen 4 valid 0");
	ev.u.check_mmio.kvm_gen = 4;
	check_line(&ev, "check_mmio_spte: spte 80000fee0002f kvm_gen 4 spte-gen 4 valid 1");

	ev = (struct mmu_event){.kind = MMU_EV_ZAP_ALL_FAST};
	ev.u.zap_all.gen = 1;
	ev.u.zap_all.used_pages = 0x1f;
	check_line(&ev, "kvm_mmu_zap_all_fast: kvm-mmu-valid-gen 1 used_pages 1f");
}

static void test_mmuscope_wrprot_and_root_cache_lines(void **state)
{
	struct mmu_event ev = {.kind = MMU_EV_WRPROT_GFN};

	(void)state;
	ev.u.wrprot.as = 1;
	ev.u.wrprot.gfn = 0x1234;
	ev.u.wrprot.changed = 2;
	check_line(&ev, "mmuscope_wrprot: as 1 gfn 0x1234 changed 2");

	ev = (struct mmu_event){.kind = MMU_EV_ROOT_HIT};
	ev.u.root.slot = 1;
	ev.u.root.pgd = 0x2000;
	ev.u.root.hpa = 0x5000;
	ev.u.root.role = 0x3704;
	check_line(&ev, "mmuscope_root_cache: hit prev 1 pgd 0x2000 hpa 0x5000 role 0x3704");
	ev.u.root.slot = -1;
	check_line(&ev, "mmuscope_root_cache: hit current pgd 0x2000 hpa 0x5000 role 0x3704");
	ev.kind = MMU_EV_ROOT_MISS;
	check_line(&ev, "mmuscope_root_cache: miss pgd 0x2000 role 0x3704");
	ev.kind = MMU_EV_ROOT_EVICT;
	check_line(&ev, "mmuscope_root_cache: evict pgd 0x2000 hpa 0x5000");
	ev.kind = MMU_EV_ROOT_LOAD;
	check_line(&ev, "mmuscope_root_load: pgd 0x2000 hpa 0x5000 role 0x3704");
	ev.kind = MMU_EV_ROOT_FREE;
	check_line(&ev, "mmuscope_root_free: pgd 0x2000 hpa 0x5000");
}

static void test_every_kind_has_a_name_and_a_line(void **state)
{
	static const char *const names[] = {
		"kvm_mmu_get_page",	    "kvm_mmu_sync_page",      "kvm_mmu_unsync_page",
		"kvm_mmu_prepare_zap_page", "kvm_mmu_set_spte",	      "kvm_mmu_spte_requested",
		"mark_mmio_spte",	    "handle_mmio_page_fault", "check_mmio_spte",
		"kvm_mmu_zap_all_fast",	    "mmuscope_wrprot",	      "mmuscope_root_cache",
		"mmuscope_root_cache",	    "mmuscope_root_cache",    "mmuscope_root_load",
		"mmuscope_root_free",
	};
	unsigned k;

	(void)state;
	for (k = 0; k <= MMU_EV_ROOT_FREE; k++) {
		struct mmu_event ev = {.kind = (enum mmu_ev_kind)k};
		char buf[256];
		size_t len = strlen(names[k]);

		assert_string_equal(names[k], mmu_event_name(ev.kind));
		mmu_event_format(&ev, buf, sizeof(buf));
		if (strncmp(buf, names[k], len) != 0 || strncmp(buf + len, ": ", 2) != 0)
			fail_msg("kind %u: want \"%s: ...\" got \"%s\"", k, names[k], buf);
	}
	assert_int_equal(MSC_ARRAY_SIZE(names), MMU_EV_ROOT_FREE + 1);
}

static void test_format_has_snprintf_semantics(void **state)
{
	struct mmu_event ev = page_ev(MMU_EV_GET_PAGE, 0, 0, 0x3784, 0, false);
	const char *want = "kvm_mmu_get_page: sp gen 0 gfn 0 l4 8-byte q0 direct wux nxe ad "
			   "root 0 sync existing";
	char small[10];

	(void)state;
	assert_int_equal((int)strlen(want), mmu_event_format(&ev, NULL, 0));
	assert_int_equal((int)strlen(want), mmu_event_format(&ev, small, sizeof(small)));
	assert_string_equal("kvm_mmu_g", small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_page_of_new_tdp_root_matches_appendix_b),
		cmocka_unit_test(test_get_page_existing_prints_quadrant_invalid_and_unsync),
		cmocka_unit_test(test_sync_unsync_and_zap_print_the_sp_alone),
		cmocka_unit_test(test_set_spte_prints_rwxu_letters_and_sptep),
		cmocka_unit_test(test_set_spte_line_from_make_spte_for_ept),
		cmocka_unit_test(test_spte_requested_and_mmio_and_zap_all_fast),
		cmocka_unit_test(test_mmuscope_wrprot_and_root_cache_lines),
		cmocka_unit_test(test_every_kind_has_a_name_and_a_line),
		cmocka_unit_test(test_format_has_snprintf_semantics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
