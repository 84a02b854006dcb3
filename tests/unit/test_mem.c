/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/mem.h: memslot set rules, address spaces, aliasing, read-only
 * and dirty-logged slots, lazy commit, and hmem's deterministic page allocator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* want/got in hex, with the expression that produced got. */
#define EXPECT_HEX(want, got)                                                                      \
	do {                                                                                       \
		unsigned long long want_ = (unsigned long long)(want);                             \
		unsigned long long got_ = (unsigned long long)(got);                               \
		if (want_ != got_) {                                                               \
			print_error("%s:%d: %s: want %#llx got %#llx\n", __FILE__, __LINE__, #got, \
				    want_, got_);                                                  \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

/* Error codes by name, with the value in hex. */
#define EXPECT_ERR(want, got)                                                                      \
	do {                                                                                       \
		int want_ = (want);                                                                \
		int got_ = (got);                                                                  \
		if (want_ != got_) {                                                               \
			print_error("%s:%d: %s: want %s (%#x) got %s (%#x)\n", __FILE__, __LINE__, \
				    #got, msc_err_name(want_), (unsigned)want_,                    \
				    msc_err_name(got_), (unsigned)got_);                           \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_OK(expr) EXPECT_ERR(0, (expr))

static int setup_gmem(void **state)
{
	struct gmem *m;

	if (gmem_create(&m, 0) != 0)
		return -1;
	*state = m;
	return 0;
}

static int teardown_gmem(void **state)
{
	gmem_destroy(*state);
	return 0;
}

static struct gmem_slot_desc slot(u8 as, u16 id, gpa_t base, u64 size, u32 flags)
{
	struct gmem_slot_desc d = {.as = as, .id = id, .base = base, .size = size, .flags = flags};
	return d;
}

static struct gmem_slot_desc alias(u8 as, u16 id, gpa_t base, u64 size, u8 t_as, u16 t_id,
				   u64 t_off)
{
	struct gmem_slot_desc d = slot(as, id, base, size, 0);

	d.alias = true;
	d.alias_as = t_as;
	d.alias_id = t_id;
	d.alias_offset = t_off;
	return d;
}

static int add(struct gmem *m, struct gmem_slot_desc d)
{
	return gmem_slot_add(m, &d);
}

/* --- slot set rules ----------------------------------------------------- */

static void test_slot_add_rejects_bad_as_flags_alignment_size_and_wrap(void **state)
{
	struct gmem *m = *state;
	u64 gen = gmem_generation(m, 0);

	EXPECT_ERR(MSC_EINVAL, add(m, slot(GMEM_NR_AS, 0, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_EINVAL, add(m, slot(0, 0, 0, PAGE_SIZE, 0x4)));
	EXPECT_ERR(MSC_EINVAL, add(m, slot(0, 0, 0x800, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_EINVAL, add(m, slot(0, 0, 0, PAGE_SIZE + 1, 0)));
	EXPECT_ERR(MSC_EINVAL, add(m, slot(0, 0, 0, 0, 0)));
	/* [2^64 - 4 KiB, 2^64 + 4 KiB) wraps */
	EXPECT_ERR(MSC_EINVAL, add(m, slot(0, 0, 0ULL - PAGE_SIZE, 2 * PAGE_SIZE, 0)));
	EXPECT_HEX(0, gmem_slot_count(m, 0));
	EXPECT_HEX(gen, gmem_generation(m, 0));

	/* The last page of the 64-bit space ends exactly at 2^64: no wrap. */
	EXPECT_OK(add(m, slot(0, 0, 0ULL - PAGE_SIZE, PAGE_SIZE, 0)));
	assert_non_null(gmem_hva(m, 0, 0ULL - 8, 8));
	assert_null(gmem_hva(m, 0, 0ULL - 8, 9));
}

static void test_slot_add_rejects_duplicate_id_in_same_as(void **state)
{
	struct gmem *m = *state;

	EXPECT_OK(add(m, slot(0, 7, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_EEXIST, add(m, slot(0, 7, 0x100000, PAGE_SIZE, 0)));
	/* The same id in the other address space is a different slot. */
	EXPECT_OK(add(m, slot(1, 7, 0x100000, PAGE_SIZE, 0)));
	EXPECT_HEX(1, gmem_slot_count(m, 0));
	EXPECT_HEX(1, gmem_slot_count(m, 1));
}

static void test_slot_add_rejects_overlap_but_allows_adjacent(void **state)
{
	struct gmem *m = *state;

	EXPECT_OK(add(m, slot(0, 0, 0x10000, 0x4000, 0)));
	EXPECT_ERR(MSC_EOVERLAP, add(m, slot(0, 1, 0x13000, 0x2000, 0))); /* tail */
	EXPECT_ERR(MSC_EOVERLAP, add(m, slot(0, 1, 0xf000, 0x2000, 0))); /* head */
	EXPECT_ERR(MSC_EOVERLAP, add(m, slot(0, 1, 0x11000, 0x1000, 0))); /* inside */
	EXPECT_ERR(MSC_EOVERLAP, add(m, slot(0, 1, 0x0, 0x100000, 0))); /* around */
	EXPECT_OK(add(m, slot(0, 1, 0x14000, 0x1000, 0))); /* just after */
	EXPECT_OK(add(m, slot(0, 2, 0xf000, 0x1000, 0))); /* just before */
	EXPECT_HEX(3, gmem_slot_count(m, 0));
}

static void test_slots_are_kept_sorted_by_base(void **state)
{
	struct gmem *m = *state;
	const gpa_t bases[] = {0x300000, 0x100000, 0x500000, 0x0, 0x200000};
	struct gmem_slot_info info;

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(bases); i++)
		EXPECT_OK(add(m, slot(0, (u16)i, bases[i], PAGE_SIZE, 0)));
	EXPECT_HEX(5, gmem_slot_count(m, 0));
	gmem_slot_get(m, 0, 0, &info);
	EXPECT_HEX(0x0, info.base);
	EXPECT_HEX(3, info.id);
	for (unsigned i = 1; i < 5; i++) {
		struct gmem_slot_info prev = info;

		gmem_slot_get(m, 0, i, &info);
		assert_true(info.base > prev.base);
	}
	EXPECT_HEX(0x500000, info.base);

	/* Lookup by address finds each slot at its first and last byte, and
	 * nothing just past it or below the lowest slot. */
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(bases); i++) {
		assert_true(gmem_slot_find(m, 0, bases[i], &info));
		EXPECT_HEX(i, info.id);
		assert_true(gmem_slot_find(m, 0, bases[i] + PAGE_SIZE - 1, &info));
		EXPECT_HEX(i, info.id);
		assert_false(gmem_slot_find(m, 0, bases[i] + PAGE_SIZE, NULL));
	}
	EXPECT_OK(gmem_slot_delete(m, 0, 3)); /* the slot at 0 */
	assert_false(gmem_slot_find(m, 0, 0x0, NULL));
	assert_true(gmem_slot_find(m, 0, 0x100000, NULL));
	assert_true(gmem_slot_find(m, 0, 0x200fff, &info));
	EXPECT_HEX(4, info.id);
	EXPECT_HEX(0x200000, info.base);
	EXPECT_HEX(PAGE_SIZE, info.size);
	assert_false(gmem_slot_find(m, 0, 0x201000, NULL));
	assert_false(gmem_slot_find(m, 0, 0x600000, NULL));
	assert_false(gmem_slot_find(m, 1, 0x200000, NULL));

	/* Out of range index gives a zeroed info. */
	memset(&info, 0xa5, sizeof(info));
	gmem_slot_get(m, 0, 4, &info);
	EXPECT_HEX(0, info.size);
}

static void test_slot_add_rejects_more_than_max_slots(void **state)
{
	struct gmem *m = *state;

	for (unsigned i = 0; i < GMEM_MAX_SLOTS; i++)
		EXPECT_OK(add(m, slot(0, (u16)i, i * 2 * PAGE_SIZE, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_ENOSPC, add(m, slot(0, 999, 1 * GiB, PAGE_SIZE, 0)));
	/* The limit is per address space. */
	EXPECT_OK(add(m, slot(1, 999, 1 * GiB, PAGE_SIZE, 0)));
	/* Deleting one makes room again. */
	EXPECT_OK(gmem_slot_delete(m, 0, 5));
	EXPECT_OK(add(m, slot(0, 999, 1 * GiB, PAGE_SIZE, 0)));
}

static void test_delete_missing_slot_is_enoent(void **state)
{
	struct gmem *m = *state;

	EXPECT_ERR(MSC_ENOENT, gmem_slot_delete(m, 0, 3));
	EXPECT_OK(add(m, slot(0, 3, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_ENOENT, gmem_slot_delete(m, 1, 3));
	EXPECT_OK(gmem_slot_delete(m, 0, 3));
	EXPECT_ERR(MSC_ENOENT, gmem_slot_delete(m, 0, 3));
	assert_null(gmem_hva(m, 0, 0, 1));
}

/* --- address spaces ----------------------------------------------------- */

static void test_address_spaces_are_independent(void **state)
{
	struct gmem *m = *state;
	u64 v, gen1;

	/* The same gpa range in both address spaces: no overlap error. */
	EXPECT_OK(add(m, slot(0, 0, 0x30000, 0x10000, 0)));
	EXPECT_OK(add(m, slot(1, 0, 0x30000, 0x10000, 0)));
	assert_ptr_not_equal(gmem_hva(m, 0, 0x30000, 8), gmem_hva(m, 1, 0x30000, 8));

	EXPECT_OK(gmem_write64(m, 0, 0x30100, 0x1111111111111111ULL));
	EXPECT_OK(gmem_write64(m, 1, 0x30100, 0x2222222222222222ULL));
	EXPECT_OK(gmem_read64(m, 0, 0x30100, &v));
	EXPECT_HEX(0x1111111111111111ULL, v);
	EXPECT_OK(gmem_read64(m, 1, 0x30100, &v));
	EXPECT_HEX(0x2222222222222222ULL, v);

	/* Changing AS 0 leaves AS 1's slots and generation alone. */
	gen1 = gmem_generation(m, 1);
	EXPECT_OK(gmem_slot_delete(m, 0, 0));
	EXPECT_ERR(MSC_EFAULT, gmem_read64(m, 0, 0x30100, &v));
	EXPECT_OK(gmem_read64(m, 1, 0x30100, &v));
	EXPECT_HEX(0x2222222222222222ULL, v);
	EXPECT_HEX(gen1, gmem_generation(m, 1));
	EXPECT_HEX(1, gmem_slot_count(m, 1));
}

/* --- aliasing ----------------------------------------------------------- */

static void test_alias_shares_bytes_with_its_target(void **state)
{
	struct gmem *m = *state;
	u64 v;
	u32 w;

	/* AS 0: 1 MiB of RAM. AS 1: SMRAM overlay at 0xa0000 showing RAM 0xa0000..0xbffff,
	 * placed at the same gpa, as QEMU does for the SMRAM window. */
	EXPECT_OK(add(m, slot(0, 0, 0, MiB, 0)));
	EXPECT_OK(add(m, alias(1, 0, 0xa0000, 0x20000, 0, 0, 0xa0000)));
	EXPECT_HEX((uintptr_t)gmem_hva(m, 0, 0xa0000, 1), (uintptr_t)gmem_hva(m, 1, 0xa0000, 1));

	EXPECT_OK(gmem_write64(m, 0, 0xa0010, 0x0123456789abcdefULL));
	EXPECT_OK(gmem_read64(m, 1, 0xa0010, &v));
	EXPECT_HEX(0x0123456789abcdefULL, v);
	EXPECT_OK(gmem_write64(m, 1, 0xbfff8, 0xfeedfacecafebeefULL));
	EXPECT_OK(gmem_read64(m, 0, 0xbfff8, &v));
	EXPECT_HEX(0xfeedfacecafebeefULL, v);
	/* Outside the alias window AS 1 has nothing. */
	EXPECT_ERR(MSC_EFAULT, gmem_read64(m, 1, 0xc0000, &v));

	/* An alias of an alias composes the offsets: AS 0 gpa 0x200000 shows
	 * AS 1's 0xb0000, which is RAM 0xb0000. */
	EXPECT_OK(add(m, alias(0, 1, 0x200000, PAGE_SIZE, 1, 0, 0x10000)));
	EXPECT_OK(gmem_write32(m, 0, 0xb0004, 0xdeadbeef));
	EXPECT_OK(gmem_read32(m, 0, 0x200004, &w));
	EXPECT_HEX(0xdeadbeef, w);
}

static void test_alias_rejects_missing_target_or_range_outside_it(void **state)
{
	struct gmem *m = *state;

	EXPECT_OK(add(m, slot(0, 0, 0, 0x10000, 0)));
	EXPECT_ERR(MSC_EINVAL, add(m, alias(1, 0, 0, PAGE_SIZE, 0, 9, 0))); /* no slot 9 */
	EXPECT_ERR(MSC_EINVAL, add(m, alias(1, 0, 0, PAGE_SIZE, 1, 0, 0))); /* wrong as */
	EXPECT_ERR(MSC_EINVAL, add(m, alias(1, 0, 0, PAGE_SIZE, 0, 0, 0x800))); /* unaligned */
	EXPECT_ERR(MSC_EINVAL, add(m, alias(1, 0, 0, 0x2000, 0, 0, 0xf000))); /* past end */
	EXPECT_ERR(MSC_EINVAL, add(m, alias(1, 0, 0, PAGE_SIZE, 0, 0, 0x10000))); /* at end */
	EXPECT_ERR(MSC_EINVAL,
		   add(m, alias(1, 0, 0, PAGE_SIZE, 0, 0, 0ULL - PAGE_SIZE))); /* offset wraps */
	EXPECT_OK(add(m, alias(1, 0, 0, PAGE_SIZE, 0, 0, 0xf000))); /* last page */
	EXPECT_HEX(1, gmem_slot_count(m, 1));
}

static void test_aliased_slot_cannot_be_deleted_while_alias_exists(void **state)
{
	struct gmem *m = *state;
	u64 v, gen;

	EXPECT_OK(add(m, slot(0, 0, 0, 0x10000, 0)));
	EXPECT_OK(add(m, alias(1, 4, 0, 0x10000, 0, 0, 0)));
	EXPECT_OK(gmem_write64(m, 0, 0x8, 0x5a5a5a5a5a5a5a5aULL));
	gen = gmem_generation(m, 0);
	EXPECT_ERR(MSC_EINVAL, gmem_slot_delete(m, 0, 0));
	EXPECT_HEX(gen, gmem_generation(m, 0));
	EXPECT_OK(gmem_read64(m, 0, 0x8, &v));
	EXPECT_HEX(0x5a5a5a5a5a5a5a5aULL, v);

	EXPECT_OK(gmem_slot_delete(m, 1, 4));
	EXPECT_OK(gmem_slot_delete(m, 0, 0));
	EXPECT_HEX(0, gmem_slot_count(m, 0));
	EXPECT_HEX(0, gmem_slot_count(m, 1));
}

/* --- lazy commit -------------------------------------------------------- */

static void test_large_slot_commits_only_touched_pages(void **state)
{
	struct gmem *m = *state;
	const gpa_t touched[] = {0, 17 * GiB + 0x1234, 40 * GiB, 64 * GiB - 8};
	int r = add(m, slot(0, 0, 4 * GiB, 64 * GiB, GMEM_SLOT_DIRTY_LOG));
	u64 res;

	if (r == MSC_ENOMEM)
		skip(); /* host refuses a 64 GiB MAP_NORESERVE mapping (overcommit=2) */
	EXPECT_OK(r);
	EXPECT_HEX(0, gmem_resident_bytes(m));

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(touched); i++)
		EXPECT_OK(gmem_write(m, 0, 4 * GiB + touched[i], "x", 1));
	res = gmem_resident_bytes(m);
	/* At least the 4 touched pages; at most 4 huge pages, had THP been used. */
	assert_true(res >= 4 * PAGE_SIZE);
	if (res > 4 * 2 * MiB) {
		print_error("resident: want <= %#llx got %#llx\n", 4 * 2 * MiB,
			    (unsigned long long)res);
		fail();
	}
	/* The 2 MiB dirty bitmap records exactly the touched pages. */
	assert_true(gmem_test_dirty(m, 0, 4 * GiB + 17 * GiB + 0x1000));
	assert_false(gmem_test_dirty(m, 0, 4 * GiB + 17 * GiB));
	assert_false(gmem_test_dirty(m, 0, 4 * GiB + 17 * GiB + 0x2000));
	assert_true(gmem_test_dirty(m, 0, 4 * GiB + 64 * GiB - 1));
}

/* --- access ------------------------------------------------------------- */

static void test_hva_requires_range_inside_one_slot(void **state)
{
	struct gmem *m = *state;
	u8 *p;

	EXPECT_OK(add(m, slot(0, 0, 0x1000, 0x2000, 0)));
	EXPECT_OK(add(m, slot(0, 1, 0x3000, 0x1000, 0)));
	p = gmem_hva(m, 0, 0x1000, 0x2000);
	assert_non_null(p);
	/* base + offset into one flat mapping */
	EXPECT_HEX((uintptr_t)(p + 0x1ff8), (uintptr_t)gmem_hva(m, 0, 0x2ff8, 8));
	assert_null(gmem_hva(m, 0, 0x2ffc, 8)); /* straddles two adjacent slots */
	assert_null(gmem_hva(m, 0, 0x1000, 0x2001));
	assert_null(gmem_hva(m, 0, 0x0fff, 1));
	assert_null(gmem_hva(m, 0, 0x4000, 1));
	assert_null(gmem_hva(m, 1, 0x1000, 1));
	assert_null(gmem_hva(m, GMEM_NR_AS, 0x1000, 1));
	assert_non_null(gmem_hva(m, 0, 0x3000, 0x1000));
}

static void test_hva_flags_reports_the_slot_flags(void **state)
{
	struct gmem *m = *state;
	u32 flags = 0xdead;

	EXPECT_OK(add(m, slot(0, 0, 0x1000, 0x1000, 0)));
	EXPECT_OK(add(m, slot(0, 1, 0x2000, 0x1000, GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG)));
	EXPECT_HEX((uintptr_t)gmem_hva(m, 0, 0x1008, 8),
		   (uintptr_t)gmem_hva_flags(m, 0, 0x1008, 8, &flags));
	EXPECT_HEX(0, flags);
	assert_non_null(gmem_hva_flags(m, 0, 0x2ff8, 8, &flags));
	EXPECT_HEX(GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG, flags);
	/* a miss leaves *flags alone; NULL flags is allowed */
	flags = 0x77;
	assert_null(gmem_hva_flags(m, 0, 0x3000, 8, &flags));
	EXPECT_HEX(0x77, flags);
	assert_non_null(gmem_hva_flags(m, 0, 0x1000, 8, NULL));
}

static void test_readonly_slot_refuses_guest_write(void **state)
{
	struct gmem *m = *state;
	u8 buf[16];
	u64 v;

	EXPECT_OK(add(m, slot(0, 0, 0x0, 0x1000, 0)));
	EXPECT_OK(add(m, slot(0, 1, 0x1000, 0x1000, GMEM_SLOT_READONLY)));

	EXPECT_ERR(MSC_EOPNOTSUPP, gmem_write64(m, 0, 0x1008, 0x1122334455667788ULL));
	EXPECT_OK(gmem_read64(m, 0, 0x1008, &v));
	EXPECT_HEX(0, v);

	/* Only the last 8 of 16 bytes are read-only: nothing is written, even the
	 * writable half. */
	memset(buf, 0xcc, sizeof(buf));
	EXPECT_ERR(MSC_EOPNOTSUPP, gmem_write(m, 0, 0xff8, buf, sizeof(buf)));
	EXPECT_OK(gmem_read64(m, 0, 0xff8, &v));
	EXPECT_HEX(0, v);

	/* A host write goes through, and reads see it. */
	EXPECT_OK(gmem_write_host(m, 0, 0xff8, buf, sizeof(buf)));
	EXPECT_OK(gmem_read64(m, 0, 0x1000, &v));
	EXPECT_HEX(0xccccccccccccccccULL, v);

	/* Clearing the flag makes guest writes work. */
	EXPECT_OK(gmem_slot_set_flags(m, 0, 1, 0));
	EXPECT_OK(gmem_write64(m, 0, 0x1008, 0x1122334455667788ULL));
	EXPECT_OK(gmem_read64(m, 0, 0x1008, &v));
	EXPECT_HEX(0x1122334455667788ULL, v);
}

static void test_write_spanning_adjacent_slots_lands_in_both(void **state)
{
	struct gmem *m = *state;
	u8 in[32], out[32];
	u64 v;

	EXPECT_OK(add(m, slot(0, 0, 0x10000, 0x1000, 0)));
	EXPECT_OK(add(m, slot(0, 1, 0x11000, 0x1000, 0)));
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (u8)(0x40 + i);

	EXPECT_OK(gmem_write(m, 0, 0x10ff0, in, sizeof(in)));
	/* Each half is in its own slot's mapping. */
	assert_memory_equal(gmem_hva(m, 0, 0x10ff0, 16), in, 16);
	assert_memory_equal(gmem_hva(m, 0, 0x11000, 16), in + 16, 16);
	/* And a spanning read puts them back together. */
	EXPECT_OK(gmem_read(m, 0, 0x10ff0, out, sizeof(out)));
	assert_memory_equal(out, in, sizeof(in));
	/* An 8-byte value straddling the boundary. */
	EXPECT_OK(gmem_write64(m, 0, 0x10ffc, 0xa1a2a3a4b1b2b3b4ULL));
	EXPECT_OK(gmem_read64(m, 0, 0x10ffc, &v));
	EXPECT_HEX(0xa1a2a3a4b1b2b3b4ULL, v);
	EXPECT_HEX(0xb4, *(u8 *)gmem_hva(m, 0, 0x10ffc, 1));
	EXPECT_HEX(0xa4, *(u8 *)gmem_hva(m, 0, 0x11000, 1));
}

static void test_write_over_a_hole_writes_nothing(void **state)
{
	struct gmem *m = *state;
	u8 in[0x1010], out[0x1010];
	u8 zero[16] = {0};

	EXPECT_OK(add(m, slot(0, 0, 0x10000, 0x1000, GMEM_SLOT_DIRTY_LOG)));
	EXPECT_OK(add(m, slot(0, 1, 0x12000, 0x1000, 0))); /* hole at 0x11000 */
	memset(in, 0x77, sizeof(in));

	EXPECT_ERR(MSC_EFAULT, gmem_write(m, 0, 0x10ff8, in, 0x1010));
	EXPECT_ERR(MSC_EFAULT, gmem_write_host(m, 0, 0x10ff8, in, 0x1010));
	assert_memory_equal(gmem_hva(m, 0, 0x10ff8, 8), zero, 8);
	assert_memory_equal(gmem_hva(m, 0, 0x12000, 16), zero, 16);
	assert_false(gmem_test_dirty(m, 0, 0x10000));

	/* Reads over the hole fail too, and leave the buffer alone. */
	memset(out, 0x99, sizeof(out));
	EXPECT_ERR(MSC_EFAULT, gmem_read(m, 0, 0x10ff8, out, 0x1010));
	EXPECT_HEX(0x99, out[0]);
	/* So does a range that wraps past 2^64. */
	EXPECT_ERR(MSC_EFAULT, gmem_read(m, 0, 0ULL - 4, out, 8));
	/* Zero-length accesses succeed anywhere. */
	EXPECT_OK(gmem_read(m, 0, 0x11000, out, 0));
	EXPECT_OK(gmem_write(m, 0, 0x11000, in, 0));
}

static void test_read_write_helpers_are_little_endian(void **state)
{
	struct gmem *m = *state;
	const u8 want[] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
	u32 w;

	EXPECT_OK(add(m, slot(0, 0, 0, PAGE_SIZE, 0)));
	EXPECT_OK(gmem_write64(m, 0, 0x10, 0x0102030405060708ULL));
	assert_memory_equal(gmem_hva(m, 0, 0x10, 8), want, 8);
	EXPECT_OK(gmem_read32(m, 0, 0x14, &w));
	EXPECT_HEX(0x01020304, w);
	EXPECT_OK(gmem_write32(m, 0, 0x20, 0xa0b0c0d0));
	EXPECT_HEX(0xd0, *(u8 *)gmem_hva(m, 0, 0x20, 1));
	EXPECT_ERR(MSC_EFAULT, gmem_read32(m, 0, PAGE_SIZE - 2, &w));
	EXPECT_ERR(MSC_EFAULT, gmem_write32(m, 0, PAGE_SIZE - 2, 1));
}

/* --- dirty log ---------------------------------------------------------- */

static void test_dirty_log_marks_guest_writes_and_fetch_clears(void **state)
{
	struct gmem *m = *state;
	u8 bm[2];

	/* 16 pages at 0x100000. */
	EXPECT_OK(add(m, slot(0, 3, 0x100000, 16 * PAGE_SIZE, GMEM_SLOT_DIRTY_LOG)));

	/* A write straddling pages 1 and 2, one to page 9, gmem_mark_dirty on 15. */
	EXPECT_OK(gmem_write64(m, 0, 0x101ffc, 1));
	EXPECT_OK(gmem_write32(m, 0, 0x109000, 1));
	gmem_mark_dirty(m, 0, 0x10f123);
	/* Host writes are not logged. */
	EXPECT_OK(gmem_write_host(m, 0, 0x104000, "h", 1));
	assert_true(gmem_test_dirty(m, 0, 0x101000));
	assert_true(gmem_test_dirty(m, 0, 0x102fff));
	assert_false(gmem_test_dirty(m, 0, 0x103000));
	assert_false(gmem_test_dirty(m, 0, 0x104000));

	memset(bm, 0xff, sizeof(bm));
	EXPECT_OK(gmem_get_dirty_log(m, 0, 3, bm, sizeof(bm)));
	EXPECT_HEX(0x06, bm[0]); /* pages 1, 2 */
	EXPECT_HEX(0x82, bm[1]); /* pages 9, 15 */

	/* Fetching cleared the log. */
	assert_false(gmem_test_dirty(m, 0, 0x101000));
	EXPECT_OK(gmem_get_dirty_log(m, 0, 3, bm, sizeof(bm)));
	EXPECT_HEX(0, bm[0]);
	EXPECT_HEX(0, bm[1]);

	/* Logging continues after a fetch. */
	EXPECT_OK(gmem_write(m, 0, 0x100000, "y", 1));
	EXPECT_OK(gmem_get_dirty_log(m, 0, 3, bm, sizeof(bm)));
	EXPECT_HEX(0x01, bm[0]);

	/* Errors: buffer too small, missing slot, slot not logging. */
	EXPECT_ERR(MSC_EINVAL, gmem_get_dirty_log(m, 0, 3, bm, 1));
	EXPECT_ERR(MSC_ENOENT, gmem_get_dirty_log(m, 0, 4, bm, sizeof(bm)));
	EXPECT_OK(add(m, slot(0, 4, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_EINVAL, gmem_get_dirty_log(m, 0, 4, bm, sizeof(bm)));
	EXPECT_OK(gmem_write(m, 0, 0, "z", 1));
	assert_false(gmem_test_dirty(m, 0, 0));
}

static void test_dirty_log_can_be_turned_on_and_off(void **state)
{
	struct gmem *m = *state;
	u8 bm[1];

	EXPECT_OK(add(m, slot(0, 0, 0, 8 * PAGE_SIZE, 0)));
	EXPECT_OK(gmem_write(m, 0, 0x3000, "a", 1));
	EXPECT_ERR(MSC_EINVAL, gmem_get_dirty_log(m, 0, 0, bm, 1));

	EXPECT_OK(gmem_slot_set_flags(m, 0, 0, GMEM_SLOT_DIRTY_LOG));
	/* Writes before logging began are not in the log. */
	assert_false(gmem_test_dirty(m, 0, 0x3000));
	EXPECT_OK(gmem_write(m, 0, 0x5000, "b", 1));
	assert_true(gmem_test_dirty(m, 0, 0x5000));

	/* Off then on gives a fresh, empty log. */
	EXPECT_OK(gmem_slot_set_flags(m, 0, 0, 0));
	assert_false(gmem_test_dirty(m, 0, 0x5000));
	EXPECT_OK(gmem_slot_set_flags(m, 0, 0, GMEM_SLOT_DIRTY_LOG));
	EXPECT_OK(gmem_get_dirty_log(m, 0, 0, bm, 1));
	EXPECT_HEX(0, bm[0]);

	/* Flag errors. */
	EXPECT_ERR(MSC_EINVAL, gmem_slot_set_flags(m, 0, 0, 0x80));
	EXPECT_ERR(MSC_ENOENT, gmem_slot_set_flags(m, 0, 9, 0));
	EXPECT_ERR(MSC_EINVAL, gmem_slot_set_flags(m, GMEM_NR_AS, 0, 0));
}

static void test_dirty_log_is_per_slot_not_per_backing(void **state)
{
	struct gmem *m = *state;

	EXPECT_OK(add(m, slot(0, 0, 0, 4 * PAGE_SIZE, GMEM_SLOT_DIRTY_LOG)));
	EXPECT_OK(add(m, alias(1, 0, 0, 4 * PAGE_SIZE, 0, 0, 0)));
	EXPECT_OK(gmem_slot_set_flags(m, 1, 0, GMEM_SLOT_DIRTY_LOG));

	EXPECT_OK(gmem_write(m, 1, 0x2000, "s", 1));
	assert_true(gmem_test_dirty(m, 1, 0x2000));
	assert_false(gmem_test_dirty(m, 0, 0x2000));
}

/* --- generation --------------------------------------------------------- */

static void test_generation_bumps_on_add_delete_and_flag_change(void **state)
{
	struct gmem *m = *state;
	struct gmem_slot_info info;
	u64 g = gmem_generation(m, 0);

	/* kvm_create_vm(): AS 0 starts at 0, AS 1 at 1. */
	EXPECT_HEX(0, g);
	EXPECT_HEX(1, gmem_generation(m, 1));
	/* kvm_swap_active_memslots(): + the number of address spaces per swap. */
	EXPECT_OK(add(m, slot(0, 0, 0, PAGE_SIZE, 0)));
	EXPECT_HEX(g + 2, gmem_generation(m, 0));
	EXPECT_OK(add(m, alias(0, 1, 0x10000, PAGE_SIZE, 0, 0, 0)));
	EXPECT_HEX(g + 4, gmem_generation(m, 0));
	EXPECT_OK(gmem_slot_set_flags(m, 0, 0, GMEM_SLOT_READONLY));
	EXPECT_HEX(g + 6, gmem_generation(m, 0));
	/* Same flags again: nothing changed, no bump (kvm_set_memory_region()). */
	EXPECT_OK(gmem_slot_set_flags(m, 0, 0, GMEM_SLOT_READONLY));
	EXPECT_HEX(g + 6, gmem_generation(m, 0));
	/* Failures change nothing. */
	EXPECT_ERR(MSC_EOVERLAP, add(m, slot(0, 5, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_EINVAL, gmem_slot_delete(m, 0, 0));
	EXPECT_HEX(g + 6, gmem_generation(m, 0));

	assert_true(gmem_slot_find(m, 0, 0, &info));
	EXPECT_HEX(g + 6, info.generation);
	EXPECT_HEX(GMEM_SLOT_READONLY, info.flags);

	/* A delete swaps twice: the INVALID slot, then the slot gone. */
	EXPECT_OK(gmem_slot_delete(m, 0, 1));
	EXPECT_HEX(g + 10, gmem_generation(m, 0));
	EXPECT_HEX(1, gmem_generation(m, 1));
	EXPECT_OK(add(m, slot(1, 0, 0, PAGE_SIZE, 0)));
	EXPECT_HEX(3, gmem_generation(m, 1));
}

struct gen_log {
	unsigned n;
	u8 as[8];
	u64 gen[8];
	const struct gmem *m;
	bool in_progress[8];
};

static void log_gen(void *ctx, u8 as, u64 gen)
{
	struct gen_log *l = ctx;

	if (l->n < 8) {
		l->as[l->n] = as;
		l->gen[l->n] = gen;
		l->in_progress[l->n] =
			(gmem_generation(l->m, as) & GMEM_GEN_UPDATE_IN_PROGRESS) != 0;
	}
	l->n++;
}

static void test_memslots_updated_hook_sees_every_swap(void **state)
{
	struct gmem *m = *state;
	struct gen_log l = {.m = m};

	gmem_set_memslots_updated(m, log_gen, &l);
	EXPECT_OK(add(m, slot(1, 0, 0, PAGE_SIZE, 0)));
	EXPECT_OK(gmem_slot_delete(m, 1, 0));
	EXPECT_HEX(3, l.n);
	EXPECT_HEX(1, l.as[0]);
	EXPECT_HEX(3, l.gen[0]);
	EXPECT_HEX(5, l.gen[1]);
	EXPECT_HEX(7, l.gen[2]);
	/* The set in flux carries the update-in-progress bit. */
	assert_true(l.in_progress[0]);
	EXPECT_HEX(7, gmem_generation(m, 1));
	gmem_set_memslots_updated(m, NULL, NULL);
}

/* --- size bound --------------------------------------------------------- */

static void test_size_bound_counts_only_non_alias_slots(void **state)
{
	struct gmem *m;

	(void)state;
	EXPECT_OK(gmem_create(&m, 1 * MiB));
	EXPECT_OK(add(m, slot(0, 0, 0, 768 * KiB, 0)));
	EXPECT_ERR(MSC_E2BIG, add(m, slot(1, 0, 0, 512 * KiB, 0)));
	EXPECT_OK(add(m, slot(1, 0, 0, 256 * KiB, 0)));
	EXPECT_ERR(MSC_E2BIG, add(m, slot(1, 1, 1 * MiB, PAGE_SIZE, 0)));
	/* An alias adds no memory. */
	EXPECT_OK(add(m, alias(1, 2, 2 * MiB, 768 * KiB, 0, 0, 0)));
	/* Deleting gives the room back. */
	EXPECT_OK(gmem_slot_delete(m, 1, 0));
	EXPECT_OK(add(m, slot(1, 1, 1 * MiB, 256 * KiB, 0)));
	gmem_destroy(m);
}

static void test_default_size_bound_is_one_tib(void **state)
{
	struct gmem *m = *state;

	EXPECT_ERR(MSC_E2BIG, add(m, slot(0, 0, 0, TiB + PAGE_SIZE, 0)));
	EXPECT_OK(add(m, slot(0, 0, 0, PAGE_SIZE, 0)));
	EXPECT_ERR(MSC_E2BIG, add(m, slot(0, 1, TiB, TiB, 0)));
}

/* --- hmem --------------------------------------------------------------- */

static void test_hmem_hands_out_lowest_free_page_first(void **state)
{
	struct hmem *h[2];
	hpa_t seq[2][8];

	(void)state;
	/* The same operations on two allocators give the same hpa values. */
	for (unsigned k = 0; k < 2; k++) {
		hpa_t a, b, c, d;

		EXPECT_OK(hmem_create(&h[k], 0));
		EXPECT_OK(hmem_alloc_page(h[k], &a));
		EXPECT_OK(hmem_alloc_page(h[k], &b));
		EXPECT_OK(hmem_alloc_page(h[k], &c));
		EXPECT_OK(hmem_alloc_page(h[k], &d));
		EXPECT_HEX(0x1000, a); /* hpa 0 is never used */
		EXPECT_HEX(0x2000, b);
		EXPECT_HEX(0x3000, c);
		EXPECT_HEX(0x4000, d);
		hmem_free_page(h[k], c);
		hmem_free_page(h[k], a);
		EXPECT_HEX(2, hmem_used_pages(h[k]));
		EXPECT_OK(hmem_alloc_page(h[k], &seq[k][0])); /* lowest: a */
		EXPECT_OK(hmem_alloc_page(h[k], &seq[k][1])); /* then c */
		EXPECT_OK(hmem_alloc_page(h[k], &seq[k][2])); /* then fresh */
		EXPECT_HEX(0x1000, seq[k][0]);
		EXPECT_HEX(0x3000, seq[k][1]);
		EXPECT_HEX(0x5000, seq[k][2]);
		EXPECT_HEX(5, hmem_used_pages(h[k]));
	}
	assert_memory_equal(seq[0], seq[1], 3 * sizeof(hpa_t));
	hmem_destroy(h[0]);
	hmem_destroy(h[1]);
}

static void test_hmem_lowest_free_crosses_bitmap_words(void **state)
{
	struct hmem *h;
	hpa_t hpa;

	(void)state;
	EXPECT_OK(hmem_create(&h, 200));
	for (u64 i = 1; i < 200; i++) {
		EXPECT_OK(hmem_alloc_page(h, &hpa));
		EXPECT_HEX(i << PAGE_SHIFT, hpa);
	}
	hmem_free_page(h, 130 << PAGE_SHIFT);
	hmem_free_page(h, 70 << PAGE_SHIFT);
	EXPECT_OK(hmem_alloc_page(h, &hpa));
	EXPECT_HEX(70 << PAGE_SHIFT, hpa);
	EXPECT_OK(hmem_alloc_page(h, &hpa));
	EXPECT_HEX(130 << PAGE_SHIFT, hpa);
	hmem_destroy(h);
}

static void test_hmem_reused_page_is_zeroed(void **state)
{
	struct hmem *h;
	hpa_t a, b;
	u8 zero[PAGE_SIZE];

	(void)state;
	memset(zero, 0, sizeof(zero));
	EXPECT_OK(hmem_create(&h, 16));
	EXPECT_OK(hmem_alloc_page(h, &a));
	assert_memory_equal(hmem_ptr(h, a), zero, PAGE_SIZE);
	memset(hmem_ptr(h, a), 0xab, PAGE_SIZE);
	hmem_free_page(h, a);
	EXPECT_OK(hmem_alloc_page(h, &b));
	EXPECT_HEX(a, b);
	assert_memory_equal(hmem_ptr(h, b), zero, PAGE_SIZE);
	hmem_destroy(h);
}

static void test_hmem_ptr_is_null_for_unallocated_pages(void **state)
{
	struct hmem *h;
	hpa_t a;
	u8 *p;

	(void)state;
	EXPECT_OK(hmem_create(&h, 16));
	assert_null(hmem_ptr(h, 0));
	assert_null(hmem_ptr(h, 0x1000)); /* never allocated */
	EXPECT_OK(hmem_alloc_page(h, &a));
	p = hmem_ptr(h, a);
	assert_non_null(p);
	/* Any byte inside the page, at its offset. */
	EXPECT_HEX((uintptr_t)(p + 0x7f8), (uintptr_t)hmem_ptr(h, a + 0x7f8));
	assert_null(hmem_ptr(h, a + PAGE_SIZE)); /* next page is free */
	assert_null(hmem_ptr(h, 16 << PAGE_SHIFT)); /* past the reservation */
	assert_null(hmem_ptr(h, ~0ULL));
	hmem_free_page(h, a);
	assert_null(hmem_ptr(h, a));
	hmem_destroy(h);
}

static void test_hmem_exhaustion_returns_enospc(void **state)
{
	struct hmem *h;
	hpa_t a;

	(void)state;
	/* 4 pages, page 0 reserved: 3 usable. */
	EXPECT_OK(hmem_create(&h, 4));
	for (unsigned i = 0; i < 3; i++)
		EXPECT_OK(hmem_alloc_page(h, &a));
	EXPECT_HEX(0x3000, a);
	EXPECT_ERR(MSC_ENOSPC, hmem_alloc_page(h, &a));
	EXPECT_HEX(3, hmem_used_pages(h));
	hmem_free_page(h, 0x2000);
	EXPECT_OK(hmem_alloc_page(h, &a));
	EXPECT_HEX(0x2000, a);
	EXPECT_ERR(MSC_ENOSPC, hmem_alloc_page(h, &a));
	hmem_destroy(h);
}

static void test_hmem_free_ignores_pages_not_allocated(void **state)
{
	struct hmem *h;
	hpa_t a;

	(void)state;
	EXPECT_OK(hmem_create(&h, 16));
	EXPECT_OK(hmem_alloc_page(h, &a));
	hmem_free_page(h, 0);
	hmem_free_page(h, a + 8); /* not a page base */
	hmem_free_page(h, 5 << PAGE_SHIFT); /* free already */
	hmem_free_page(h, 99 << PAGE_SHIFT); /* outside */
	EXPECT_HEX(1, hmem_used_pages(h));
	assert_non_null(hmem_ptr(h, a));
	hmem_free_page(h, a);
	hmem_free_page(h, a); /* double free */
	EXPECT_HEX(0, hmem_used_pages(h));
	hmem_destroy(h);
}

static void test_hmem_create_rejects_space_beyond_52_bit_hpa(void **state)
{
	struct hmem *h = (struct hmem *)1;

	(void)state;
	EXPECT_ERR(MSC_EINVAL, hmem_create(&h, (1ULL << 40) + 1));
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define GT(fn) cmocka_unit_test_setup_teardown(fn, setup_gmem, teardown_gmem)
		GT(test_slot_add_rejects_bad_as_flags_alignment_size_and_wrap),
		GT(test_slot_add_rejects_duplicate_id_in_same_as),
		GT(test_slot_add_rejects_overlap_but_allows_adjacent),
		GT(test_slots_are_kept_sorted_by_base),
		GT(test_slot_add_rejects_more_than_max_slots),
		GT(test_delete_missing_slot_is_enoent),
		GT(test_address_spaces_are_independent),
		GT(test_alias_shares_bytes_with_its_target),
		GT(test_alias_rejects_missing_target_or_range_outside_it),
		GT(test_aliased_slot_cannot_be_deleted_while_alias_exists),
		GT(test_large_slot_commits_only_touched_pages),
		GT(test_hva_requires_range_inside_one_slot),
		GT(test_hva_flags_reports_the_slot_flags),
		GT(test_readonly_slot_refuses_guest_write),
		GT(test_write_spanning_adjacent_slots_lands_in_both),
		GT(test_write_over_a_hole_writes_nothing),
		GT(test_read_write_helpers_are_little_endian),
		GT(test_dirty_log_marks_guest_writes_and_fetch_clears),
		GT(test_dirty_log_can_be_turned_on_and_off),
		GT(test_dirty_log_is_per_slot_not_per_backing),
		GT(test_generation_bumps_on_add_delete_and_flag_change),
		GT(test_memslots_updated_hook_sees_every_swap),
		cmocka_unit_test(test_size_bound_counts_only_non_alias_slots),
		GT(test_default_size_bound_is_one_tib),
		cmocka_unit_test(test_hmem_hands_out_lowest_free_page_first),
		cmocka_unit_test(test_hmem_lowest_free_crosses_bitmap_words),
		cmocka_unit_test(test_hmem_reused_page_is_zeroed),
		cmocka_unit_test(test_hmem_ptr_is_null_for_unallocated_pages),
		cmocka_unit_test(test_hmem_exhaustion_returns_enospc),
		cmocka_unit_test(test_hmem_free_ignores_pages_not_allocated),
		cmocka_unit_test(test_hmem_create_rejects_space_beyond_52_bit_hpa),
#undef GT
	};

	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
