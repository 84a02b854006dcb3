/* SPDX-License-Identifier: MIT */
/* Page-table builder: entries it writes in each format, edits, unmap, and errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"

struct fx {
	struct gmem *m;
	struct pt_bump bump;
	struct pt_builder b;
};

static struct fx *fx_new(enum walk_fmt fmt, u8 levels)
{
	static struct fx f;
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = 16ULL << 20};

	assert_int_equal(gmem_create(&f.m, 0), 0);
	assert_int_equal(gmem_slot_add(f.m, &d), 0);
	f.bump = (struct pt_bump){.m = f.m, .as = 0, .next = 0x10000, .end = 0x100000};
	f.b = (struct pt_builder){.m = f.m,
				  .as = 0,
				  .fmt = fmt,
				  .levels = levels,
				  .upper_flags = pt_default_upper_flags(fmt),
				  .alloc = pt_bump_alloc,
				  .alloc_ctx = &f.bump};
	assert_int_equal(pt_bump_alloc(&f.bump, &f.b.root), 0);
	return &f;
}

static void fx_free(struct fx *f)
{
	gmem_destroy(f->m);
}

static void test_4level_map_builds_one_table_per_level(void **state)
{
	struct fx *f = fx_new(WALK_FMT_4LVL, 4);
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x7f0000401000ULL, 0x123000, PAGE_SIZE, PT_P | PT_W), 0);
	/* root + PDPT + PD + PT */
	assert_int_equal(f->bump.next, 0x10000 + 4 * PAGE_SIZE);
	assert_int_equal(pt_get_entry(&f->b, 0x7f0000401000ULL, 4, &e), 0);
	assert_int_equal(e, 0x11000 | PT_P | PT_W | PT_U);
	assert_int_equal(pt_get_entry(&f->b, 0x7f0000401000ULL, 1, &e), 0);
	assert_int_equal(e, 0x123000 | PT_P | PT_W);
	/* a neighbour in the same PT reuses every table */
	assert_int_equal(pt_map(&f->b, 0x7f0000402000ULL, 0x124000, PAGE_SIZE, PT_P), 0);
	assert_int_equal(f->bump.next, 0x10000 + 4 * PAGE_SIZE);
	fx_free(f);
}

static void test_large_pages_set_ps_at_their_level(void **state)
{
	struct fx *f = fx_new(WALK_FMT_4LVL, 4);
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x40000000, 0x80000000, 1ULL << 30, PT_P | PT_W), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x40000000, 3, &e), 0);
	assert_int_equal(e, 0x80000000 | PT_P | PT_W | PT_PS);
	assert_int_equal(pt_map(&f->b, 0x200000, 0x400000, 2ULL << 20, PT_P), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x200000, 2, &e), 0);
	assert_int_equal(e, 0x400000 | PT_P | PT_PS);
	/* below a leaf there is no table */
	assert_int_equal(pt_get_entry(&f->b, 0x200000, 1, &e), MSC_ENOENT);
	fx_free(f);
}

static void test_32bit_4m_page_puts_pse36_bits_in_20_13(void **state)
{
	struct fx *f = fx_new(WALK_FMT_32, 2);
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x00c00000, 0x3400000000ULL, 4ULL << 20, PT_P | PT_W), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x00c00000, 2, &e), 0);
	/* PA 39:32 = 0x34 -> PDE bits 20:13 */
	assert_int_equal(e, (0x34ULL << 13) | PT_P | PT_W | PT_PS);
	fx_free(f);
}

static void test_32bit_entries_are_four_bytes(void **state)
{
	struct fx *f = fx_new(WALK_FMT_32, 2);
	u64 ea;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x00803000, 0x5000, PAGE_SIZE, PT_P), 0);
	assert_int_equal(pt_entry_addr(&f->b, 0x00803000, 2, &ea), 0);
	assert_int_equal(ea, f->b.root + 2 * 4); /* PDE index 2 */
	assert_int_equal(pt_entry_addr(&f->b, 0x00803000, 1, &ea), 0);
	assert_int_equal(ea & 0xfff, 3 * 4); /* PTE index 3 */
	fx_free(f);
}

static void test_pae_pdpte_gets_only_present(void **state)
{
	struct fx *f = fx_new(WALK_FMT_PAE, 3);
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0xc0000000, 0x7000, PAGE_SIZE, PT_P | PT_W), 0);
	assert_int_equal(pt_get_entry(&f->b, 0xc0000000, 3, &e), 0);
	assert_int_equal(e & 0xfff, PT_P); /* W/U are reserved in a PDPTE */
	assert_int_equal(pt_entry_addr(&f->b, 0xc0000000, 3, &e), 0);
	assert_int_equal(e, f->b.root + 3 * 8);
	fx_free(f);
}

static void test_ept_tables_use_rwx_upper_flags(void **state)
{
	struct fx *f = fx_new(WALK_FMT_EPT, 5);
	u64 e;

	(void)state;
	assert_int_equal(pt_levels(&f->b), 5);
	assert_int_equal(pt_map(&f->b, 0x1000, 0x2000, PAGE_SIZE, EPT_R | EPT_MT_WB), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x1000, 5, &e), 0);
	assert_int_equal(e & 0xfff, EPT_R | EPT_W | EPT_X);
	assert_int_equal(pt_get_entry(&f->b, 0x1000, 1, &e), 0);
	assert_int_equal(e, 0x2000 | EPT_R | EPT_MT_WB);
	fx_free(f);
}

static void test_unmap_clears_leaf_and_set_entry_edits(void **state)
{
	struct fx *f = fx_new(WALK_FMT_4LVL, 4);
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x5000, 0x9000, PAGE_SIZE, PT_P | PT_W), 0);
	assert_int_equal(pt_set_entry(&f->b, 0x5000, 1, 0x9000 | PT_P), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x5000, 1, &e), 0);
	assert_int_equal(e, 0x9000 | PT_P);
	assert_int_equal(pt_unmap(&f->b, 0x5000), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x5000, 1, &e), 0);
	assert_int_equal(e, 0);
	assert_int_equal(pt_unmap(&f->b, 0x5000), MSC_ENOENT);
	fx_free(f);
}

static void test_invalid_sizes_and_alignment_are_einval(void **state)
{
	struct fx *f = fx_new(WALK_FMT_PAE, 3);

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x1000, 0x2000, 1ULL << 30, PT_P),
			 MSC_EINVAL); /* no 1G in PAE */
	assert_int_equal(pt_map(&f->b, 0x400000, 0, 4ULL << 20, PT_P),
			 MSC_EINVAL); /* no 4M in PAE */
	assert_int_equal(pt_map(&f->b, 0x1800, 0x2000, PAGE_SIZE, PT_P), MSC_EINVAL);
	assert_int_equal(pt_map(&f->b, 0x200000, 0x1000, 2ULL << 20, PT_P), MSC_EINVAL);
	fx_free(f);
}

static void test_allocator_exhaustion_is_reported(void **state)
{
	struct fx *f = fx_new(WALK_FMT_4LVL, 4);

	(void)state;
	f->bump.end = f->bump.next + PAGE_SIZE; /* room for one more table only */
	assert_int_equal(pt_map(&f->b, 0x1000, 0x2000, PAGE_SIZE, PT_P), MSC_ENOSPC);
	fx_free(f);
}

struct wlog {
	int n;
	u64 pa[8], old[8], val[8];
	unsigned size[8];
	unsigned level[8];
};

static int log_write(void *ctx, u64 pa, unsigned level, u64 old, u64 val, unsigned size)
{
	struct wlog *l = ctx;

	if (l->n < 8) {
		l->pa[l->n] = pa;
		l->old[l->n] = old;
		l->val[l->n] = val;
		l->size[l->n] = size;
		l->level[l->n] = level;
	}
	l->n++;
	return 0; /* records only: nothing reaches memory */
}

static void test_write_hook_sees_every_entry_write_with_old_value(void **state)
{
	struct fx *f = fx_new(WALK_FMT_32, 2);
	struct wlog l = {0};
	u64 e;

	(void)state;
	assert_int_equal(pt_map(&f->b, 0x00403000, 0x7000, PAGE_SIZE, PT_P), 0);
	assert_int_equal(pt_get_entry(&f->b, 0x00403000, 1, &e), 0);
	f->b.write = log_write;
	f->b.write_ctx = &l;
	assert_int_equal(pt_set_entry(&f->b, 0x00403000, 1, 0x8000 | PT_P | PT_W), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.old[0], e);
	assert_int_equal(l.val[0], 0x8000 | PT_P | PT_W);
	assert_int_equal(l.size[0], 4);
	assert_int_equal(l.level[0], 1);
	/* the hook replaced the write: memory still holds the old entry */
	assert_int_equal(pt_get_entry(&f->b, 0x00403000, 1, &e), 0);
	assert_int_equal(e, 0x7000 | PT_P);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level_map_builds_one_table_per_level),
		cmocka_unit_test(test_large_pages_set_ps_at_their_level),
		cmocka_unit_test(test_32bit_4m_page_puts_pse36_bits_in_20_13),
		cmocka_unit_test(test_32bit_entries_are_four_bytes),
		cmocka_unit_test(test_pae_pdpte_gets_only_present),
		cmocka_unit_test(test_ept_tables_use_rwx_upper_flags),
		cmocka_unit_test(test_unmap_clears_leaf_and_set_entry_edits),
		cmocka_unit_test(test_invalid_sizes_and_alignment_are_einval),
		cmocka_unit_test(test_allocator_exhaustion_is_reported),
		cmocka_unit_test(test_write_hook_sees_every_entry_write_with_old_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
