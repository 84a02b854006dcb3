/* SPDX-License-Identifier: MIT */
/*
 * The architectural TLB (cpu/tlb.h): tags, global entries, page sizes, every
 * flush operation against its SDM rule, deterministic iteration, growth, and
 * the allowed-outcomes query that recomputes rights with today's CR0/CR4.
 */
#include "cpu/tlb.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/mem.h"
#include "cpu/ptbuild.h"

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_4M 0x400000ULL
#define SZ_1G 0x40000000ULL

/* Rights of a supervisor page that is writable and executable (U/S=0). */
#define SUP_RWX (ACC_WRITE | ACC_EXEC)

/* want/got in hex, with what was being checked. */
#define assert_hex(what, want, got)                                                        \
	do {                                                                               \
		unsigned long long want_ = (want), got_ = (got);                           \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

static struct tlb *new_tlb(void)
{
	struct tlb *t = NULL;

	assert_int_equal(tlb_create(&t), 0);
	assert_non_null(t);
	return t;
}

/* A successful first-stage walk ending in a leaf of @size at @pa. */
static void ok_walk(struct walk_result *r, u64 pa, u64 size, u8 acc, bool global, bool dirty)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	r->gpa = pa;
	r->gpa1 = pa;
	r->page_size = size;
	r->level = size == SZ_4K ? 1 : size == SZ_1G ? 3 : 2;
	r->acc = acc;
	r->global = global;
	r->dirty = dirty;
	r->fault.kind = WALK_FAULT_NONE;
}

static void insert(struct tlb *t, u16 vpid, u16 pcid, u64 va, u64 pa, u64 size, bool global)
{
	struct walk_result r;

	ok_walk(&r, pa, size, ACC_ALL, global, true);
	tlb_insert(t, vpid, pcid, va, &r);
}

/* Number of entries tlb_lookup() finds for @va as seen from (vpid, pcid). */
static size_t hits(const struct tlb *t, u16 vpid, u16 pcid, u64 va)
{
	return tlb_lookup(t, vpid, pcid, va, NULL, 0);
}

/* The one entry for @va; fails unless there is exactly one. */
static const struct tlb_entry *only(const struct tlb *t, u16 vpid, u16 pcid, u64 va)
{
	const struct tlb_entry *e[8];

	assert_hex("entries matching the address", 1, tlb_lookup(t, vpid, pcid, va, e, 8));
	return e[0];
}

/* 4-level paging with every rights feature on: WP, NXE, SMEP, SMAP. */
static void cfg_4lvl(struct walk_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fmt = WALK_FMT_4LVL;
	cfg->levels = 4;
	cfg->vendor = CPU_VENDOR_INTEL;
	cfg->maxphyaddr = 46;
	cfg->wp = true;
	cfg->nxe = true;
	cfg->pse = true;
	cfg->gbpages = true;
	cfg->pge = true;
	cfg->smep = true;
	cfg->smap = true;
}

static struct walk_req mkreq(u64 va, enum walk_access acc, u8 cpl)
{
	struct walk_req req = {.addr = va, .acc = acc, .cpl = cpl};

	return req;
}

/* ------------------------------------------------------------------------ */

static void test_insert_then_lookup_finds_each_page_size(void **state)
{
	static const u64 sizes[] = {SZ_4K, SZ_2M, SZ_4M, SZ_1G};
	struct tlb *t = new_tlb();

	(void)state;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(sizes); i++) {
		u64 size = sizes[i];
		u64 va = (i + 1) * 4 * SZ_1G + size / 2 + 0x123;
		u64 pa = (i + 1) * SZ_1G + size / 2;
		const struct tlb_entry *e;

		insert(t, 0, 0, va, pa, size, false);
		e = only(t, 0, 0, va & ~(size - 1)); /* first byte of the page */
		assert_hex("entry size", size, e->size);
		assert_hex("entry va aligned to its size", va & ~(size - 1), e->va);
		assert_hex("entry pa aligned to its size", pa & ~(size - 1), e->pa);
		e = only(t, 0, 0, (va | (size - 1))); /* last byte */
		assert_hex("last byte: entry size", size, e->size);
		assert_hex("byte after the page", 0, hits(t, 0, 0, (va | (size - 1)) + 1));
		assert_hex("byte before the page", 0, hits(t, 0, 0, (va & ~(size - 1)) - 1));
	}
	assert_hex("count", MSC_ARRAY_SIZE(sizes), tlb_count(t));
	tlb_destroy(t);
}

static void test_failed_walk_is_not_cached(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_result r;

	(void)state;
	ok_walk(&r, 0x5000, SZ_4K, ACC_ALL, false, true);
	r.ok = false;
	r.fault.kind = WALK_FAULT_PF;
	r.fault.error_code = PFERR_W;
	tlb_insert(t, 0, 0, 0x1000, &r);
	assert_hex("count after a faulting walk", 0, tlb_count(t));
	tlb_destroy(t);
}

static void test_insert_of_same_page_and_tag_replaces_entry(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 3, 0x400000, 0x10000, SZ_4K, false);
	insert(t, 0, 3, 0x400abc, 0x20000, SZ_4K, false);
	assert_hex("count", 1, tlb_count(t));
	assert_hex("pa of the newer walk", 0x20000, only(t, 0, 3, 0x400000)->pa);
	tlb_destroy(t);
}

/* SDM 4.10.2.3: after a page-size change the TLB may hold one translation per size. */
static void test_insert_of_other_size_keeps_both(void **state)
{
	struct tlb *t = new_tlb();
	const struct tlb_entry *e[8];

	(void)state;
	insert(t, 0, 0, 0x40201000, 0x7000, SZ_4K, false);
	insert(t, 0, 0, 0x40201000, 0x80000000, SZ_2M, false);
	assert_hex("count", 2, tlb_count(t));
	assert_hex("entries for the address", 2, tlb_lookup(t, 0, 0, 0x40201000, e, 8));
	assert_hex("first: 2 MiB (sorted by va)", SZ_2M, e[0]->size);
	assert_hex("second: 4 KiB", SZ_4K, e[1]->size);
	assert_hex("other 4 KiB page of the 2 MiB page", 1, hits(t, 0, 0, 0x40202000));
	tlb_destroy(t);
}

static void test_lookup_reports_total_beyond_max(void **state)
{
	struct tlb *t = new_tlb();
	const struct tlb_entry *e[1] = {NULL};

	(void)state;
	insert(t, 0, 0, 0x200000, 0x1000, SZ_4K, false);
	insert(t, 0, 0, 0x200000, 0x400000, SZ_2M, true);
	assert_hex("total matches", 2, tlb_lookup(t, 0, 0, 0x200000, e, 1));
	assert_non_null(e[0]);
	assert_hex("the first in order", SZ_4K, e[0]->size);
	tlb_destroy(t);
}

static void test_pcid_isolates_nonglobal_entries(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 1, 0x1000, 0xa000, SZ_4K, false);
	insert(t, 0, 2, 0x1000, 0xb000, SZ_4K, false);
	assert_hex("PCID 1 sees its own", 0xa000, only(t, 0, 1, 0x1000)->pa);
	assert_hex("PCID 2 sees its own", 0xb000, only(t, 0, 2, 0x1000)->pa);
	assert_hex("PCID 3 sees none", 0, hits(t, 0, 3, 0x1000));
	assert_hex("VPID 1, PCID 1 sees none", 0, hits(t, 1, 1, 0x1000));
	tlb_destroy(t);
}

/* SDM 4.10.2.4: a global translation is used with every PCID (of its VPID). */
static void test_global_entry_visible_from_other_pcid(void **state)
{
	struct tlb *t = new_tlb();
	const struct tlb_entry *e;

	(void)state;
	insert(t, 0, 5, 0xffffffff81000000ULL, 0x1000000, SZ_2M, true);
	e = only(t, 0, 9, 0xffffffff81012345ULL);
	assert_true(e->global);
	assert_hex("inserting PCID kept for display", 5, e->pcid);
	assert_hex("other VPID does not see it", 0, hits(t, 1, 5, 0xffffffff81000000ULL));
	/* The same page cached as global from another PCID is the same entry. */
	insert(t, 0, 7, 0xffffffff81000000ULL, 0x3000000, SZ_2M, true);
	assert_hex("count", 1, tlb_count(t));
	assert_hex("replaced pa", 0x3000000, only(t, 0, 5, 0xffffffff81000000ULL)->pa);
	tlb_destroy(t);
}

/* MOV to CR3 (SDM 4.10.4.1) drops the PCID's non-global entries only. */
static void test_global_entry_survives_cr3_style_flush(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 1, 0x1000, 0xa000, SZ_4K, false);
	insert(t, 0, 1, 0x2000, 0xb000, SZ_4K, true);
	insert(t, 0, 2, 0x3000, 0xc000, SZ_4K, false);
	tlb_flush_pcid(t, 0, 1, false);
	assert_hex("non-global of PCID 1", 0, hits(t, 0, 1, 0x1000));
	assert_hex("global", 1, hits(t, 0, 1, 0x2000));
	assert_hex("PCID 2 untouched", 1, hits(t, 0, 2, 0x3000));
	tlb_flush_pcid(t, 0, 1, true);
	assert_hex("global after globals=true", 0, hits(t, 0, 2, 0x2000));
	assert_hex("PCID 2 still untouched", 1, hits(t, 0, 2, 0x3000));
	assert_hex("count", 1, tlb_count(t));
	tlb_destroy(t);
}

static void test_flush_pcid_with_globals_keeps_other_vpid(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 1, 0, 0x2000, 0xb000, SZ_4K, true);
	insert(t, 2, 0, 0x2000, 0xc000, SZ_4K, true);
	tlb_flush_pcid(t, 1, 0, true);
	assert_hex("VPID 1 global", 0, hits(t, 1, 0, 0x2000));
	assert_hex("VPID 2 global", 1, hits(t, 2, 0, 0x2000));
	tlb_destroy(t);
}

static void test_flush_vpid_drops_only_that_vpid(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 1, 0, 0x1000, 0xa000, SZ_4K, false);
	insert(t, 1, 4, 0x1000, 0xa000, SZ_4K, false);
	insert(t, 1, 4, 0x2000, 0xb000, SZ_4K, true);
	insert(t, 2, 0, 0x1000, 0xc000, SZ_4K, false);
	tlb_flush_vpid(t, 1, false);
	assert_hex("VPID 1 non-global, PCID 0", 0, hits(t, 1, 0, 0x1000));
	assert_hex("VPID 1 non-global, PCID 4", 0, hits(t, 1, 4, 0x1000));
	assert_hex("VPID 1 global kept with globals=false", 1, hits(t, 1, 0, 0x2000));
	assert_hex("VPID 2", 1, hits(t, 2, 0, 0x1000));
	tlb_flush_vpid(t, 1, true);
	assert_hex("VPID 1 global", 0, hits(t, 1, 0, 0x2000));
	assert_hex("count", 1, tlb_count(t));
	tlb_destroy(t);
}

static void test_flush_all_drops_globals_of_every_vpid(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 0, 0x1000, 0xa000, SZ_4K, true);
	insert(t, 3, 2, 0x1000, 0xa000, SZ_1G, false);
	tlb_flush_all(t);
	assert_hex("count", 0, tlb_count(t));
	assert_hex("lookup", 0, hits(t, 0, 0, 0x1000));
	insert(t, 0, 0, 0x1000, 0xa000, SZ_4K, false);
	assert_hex("usable after flush", 1, tlb_count(t));
	tlb_destroy(t);
}

/* SDM Vol. 2 INVLPG: the page containing the address, whatever its size. */
static void test_invlpg_drops_2m_entry_containing_address(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 0, 0x600000, 0x800000, SZ_2M, false);
	insert(t, 0, 0, 0x800000, 0xa00000, SZ_2M, false);
	tlb_invlpg(t, 0, 0, 0x7ff000);
	assert_hex("2 MiB page of the address", 0, hits(t, 0, 0, 0x600000));
	assert_hex("next 2 MiB page", 1, hits(t, 0, 0, 0x800000));
	tlb_destroy(t);
}

static void test_invlpg_drops_1g_entry_containing_address(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 0, 0x40000000, 0x80000000, SZ_1G, false);
	insert(t, 0, 0, 0x40000000, 0x1000, SZ_4K, false);
	tlb_invlpg(t, 0, 0, 0x7fffffff);
	assert_hex("1 GiB page dropped, 4 KiB one elsewhere kept", 1, tlb_count(t));
	assert_hex("the 4 KiB entry", SZ_4K, only(t, 0, 0, 0x40000000)->size);
	tlb_invlpg(t, 0, 0, 0x40000fff);
	assert_hex("count", 0, tlb_count(t));
	tlb_destroy(t);
}

static void test_invlpg_drops_global_entry_of_that_page(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 1, 0x5000, 0xa000, SZ_4K, true);
	insert(t, 0, 1, 0x6000, 0xb000, SZ_4K, true);
	tlb_invlpg(t, 0, 2, 0x5000); /* from another PCID: globals are everyone's */
	assert_hex("global of that page", 0, hits(t, 0, 1, 0x5000));
	assert_hex("global of the next page", 1, hits(t, 0, 1, 0x6000));
	tlb_destroy(t);
}

static void test_invlpg_keeps_other_pcid_and_vpid_entries(void **state)
{
	struct tlb *t = new_tlb();

	(void)state;
	insert(t, 0, 1, 0x5000, 0xa000, SZ_4K, false);
	insert(t, 0, 2, 0x5000, 0xb000, SZ_4K, false);
	insert(t, 1, 1, 0x5000, 0xc000, SZ_4K, true);
	tlb_invlpg(t, 0, 1, 0x5000);
	assert_hex("current PCID", 0, hits(t, 0, 1, 0x5000));
	assert_hex("other PCID", 1, hits(t, 0, 2, 0x5000));
	assert_hex("other VPID's global", 1, hits(t, 1, 7, 0x5000));
	tlb_destroy(t);
}

/* SDM Vol. 2 INVPCID, the four types. */
static struct tlb *invpcid_fixture(void)
{
	struct tlb *t = new_tlb();

	insert(t, 0, 1, 0x1000, 0xa000, SZ_4K, false); /* A: PCID 1, page 0x1000 */
	insert(t, 0, 1, 0x2000, 0xb000, SZ_4K, false); /* B: PCID 1, page 0x2000 */
	insert(t, 0, 2, 0x1000, 0xc000, SZ_4K, false); /* C: PCID 2, page 0x1000 */
	insert(t, 0, 1, 0x200000, 0xd00000, SZ_2M, true); /* G: global */
	insert(t, 1, 1, 0x1000, 0xe000, SZ_4K, false); /* V: other VPID */
	return t;
}

static void test_invpcid_address_drops_that_page_of_that_pcid_only(void **state)
{
	struct tlb *t = invpcid_fixture();

	(void)state;
	tlb_invpcid(t, 0, TLB_INVPCID_ADDR, 1, 0x1fff);
	assert_hex("A", 0, hits(t, 0, 1, 0x1000));
	assert_hex("B", 1, hits(t, 0, 1, 0x2000));
	assert_hex("C", 1, hits(t, 0, 2, 0x1000));
	tlb_invpcid(t, 0, TLB_INVPCID_ADDR, 1, 0x200000);
	assert_hex("G: globals are not invalidated by type 0", 1, hits(t, 0, 1, 0x200000));
	assert_hex("V", 1, hits(t, 1, 1, 0x1000));
	tlb_destroy(t);
}

static void test_invpcid_single_context_keeps_globals(void **state)
{
	struct tlb *t = invpcid_fixture();

	(void)state;
	tlb_invpcid(t, 0, TLB_INVPCID_SINGLE, 1, 0);
	assert_hex("A", 0, hits(t, 0, 1, 0x1000));
	assert_hex("B", 0, hits(t, 0, 1, 0x2000));
	assert_hex("C", 1, hits(t, 0, 2, 0x1000));
	assert_hex("G", 1, hits(t, 0, 1, 0x200000));
	assert_hex("V", 1, hits(t, 1, 1, 0x1000));
	tlb_destroy(t);
}

static void test_invpcid_all_context_with_globals_empties_the_vpid(void **state)
{
	struct tlb *t = invpcid_fixture();

	(void)state;
	tlb_invpcid(t, 0, TLB_INVPCID_ALL_GLOBAL, 0, 0);
	assert_hex("count: only the other VPID's entry left", 1, tlb_count(t));
	assert_hex("V", 1, hits(t, 1, 1, 0x1000));
	tlb_destroy(t);
}

static void test_invpcid_all_context_keeps_globals(void **state)
{
	struct tlb *t = invpcid_fixture();

	(void)state;
	tlb_invpcid(t, 0, TLB_INVPCID_ALL, 0, 0);
	assert_hex("count: G and V left", 2, tlb_count(t));
	assert_hex("G", 1, hits(t, 0, 3, 0x200000));
	assert_hex("V", 1, hits(t, 1, 1, 0x1000));
	tlb_destroy(t);
}

/* Deterministic iteration ------------------------------------------------- */

struct trace {
	char buf[4096];
	size_t len;
	const struct tlb_entry *prev;
	bool sorted;
};

static void record(void *ctx, const struct tlb_entry *e)
{
	struct trace *tr = ctx;
	int n = snprintf(tr->buf + tr->len, sizeof(tr->buf) - tr->len,
			 "%u/%u/%d %llx %llx -> %llx\n", e->vpid, e->pcid, e->global,
			 (unsigned long long)e->va, (unsigned long long)e->size,
			 (unsigned long long)e->pa);

	assert_true(n > 0 && (size_t)n < sizeof(tr->buf) - tr->len);
	tr->len += (size_t)n;
	if (tr->prev) {
		const struct tlb_entry *p = tr->prev;

		if (p->vpid > e->vpid || (p->vpid == e->vpid && p->pcid > e->pcid) ||
		    (p->vpid == e->vpid && p->pcid == e->pcid && p->va > e->va))
			tr->sorted = false;
	}
	tr->prev = e;
}

static void test_foreach_order_independent_of_insertion_order(void **state)
{
	static const struct {
		u16 vpid, pcid;
		u64 va, size;
		bool global;
	} ents[] = {
		{1, 0, 0x3000, SZ_4K, false},	{0, 2, 0x1000, SZ_4K, false},
		{0, 1, 0x200000, SZ_2M, true},	{0, 1, 0x200000, SZ_2M, false},
		{0, 1, 0x200000, SZ_4K, false}, {0, 0, 0xffffffffc0000000ULL, SZ_1G, false},
		{0, 2, 0x0, SZ_4K, false},	{2, 7, 0x400000, SZ_4M, true},
	};
	size_t n = MSC_ARRAY_SIZE(ents);
	struct trace fwd = {.sorted = true}, rev = {.sorted = true};
	struct tlb *a = new_tlb(), *b = new_tlb();

	(void)state;
	for (size_t i = 0; i < n; i++) {
		insert(a, ents[i].vpid, ents[i].pcid, ents[i].va, 0x100000 * i, ents[i].size,
		       ents[i].global);
		/* b gets the same entries in reverse order, after a detour through a flush */
		insert(b, 9, 9, 0x9000 * (i + 1), 0x9000, SZ_4K, false);
	}
	tlb_flush_vpid(b, 9, true);
	for (size_t i = n; i-- > 0;)
		insert(b, ents[i].vpid, ents[i].pcid, ents[i].va, 0x100000 * i, ents[i].size,
		       ents[i].global);
	tlb_foreach(a, record, &fwd);
	tlb_foreach(b, record, &rev);
	assert_hex("entries", n, tlb_count(b));
	assert_true(fwd.sorted);
	if (strcmp(fwd.buf, rev.buf)) {
		print_error("want\n%sgot\n%s", fwd.buf, rev.buf);
		fail();
	}
	tlb_destroy(a);
	tlb_destroy(b);
}

/* Growth: 100k entries, then half removed one by one (backward-shift deletes). */
static void test_growth_to_100k_entries_keeps_every_entry(void **state)
{
	const u64 n = 100000;
	struct tlb *t = new_tlb();

	(void)state;
	for (u64 i = 0; i < n; i++)
		insert(t, (u16)(i % 3), (u16)(i % 5), i * SZ_4K, 0x100000000ULL + i * SZ_4K, SZ_4K,
		       false);
	assert_hex("count", n, tlb_count(t));
	for (u64 i = 0; i < n; i++) {
		const struct tlb_entry *e;

		if (tlb_lookup(t, (u16)(i % 3), (u16)(i % 5), i * SZ_4K + 0x10, &e, 1) != 1) {
			print_error("entry %llu: want 1 hit, got another count\n",
				    (unsigned long long)i);
			fail();
		}
		assert_hex("pa", 0x100000000ULL + i * SZ_4K, e->pa);
	}
	for (u64 i = 0; i < n; i += 2)
		tlb_invlpg(t, (u16)(i % 3), (u16)(i % 5), i * SZ_4K);
	assert_hex("count after removing every other", n / 2, tlb_count(t));
	for (u64 i = 0; i < n; i++)
		if (hits(t, (u16)(i % 3), (u16)(i % 5), i * SZ_4K) != (i & 1)) {
			print_error("entry %llu: want %llu hits\n", (unsigned long long)i,
				    (unsigned long long)(i & 1));
			fail();
		}
	tlb_destroy(t);
}

/*
 * Against a reference model: a plain list holding the same rules, written from
 * tlb.h alone. A fixed LCG drives inserts and every flush over a small address
 * space so keys collide, entries overlap and the hash deletes a lot.
 */
struct ref_entry {
	u16 vpid, pcid;
	bool global;
	u64 va, size, pa;
};

struct ref {
	struct ref_entry e[512];
	size_t n;
};

static u32 lcg(u32 *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static bool ref_same_key(const struct ref_entry *a, const struct ref_entry *b)
{
	return a->vpid == b->vpid && a->global == b->global && (a->global || a->pcid == b->pcid) &&
	       a->va == b->va && a->size == b->size;
}

static void ref_insert(struct ref *m, const struct ref_entry *x)
{
	for (size_t i = 0; i < m->n; i++)
		if (ref_same_key(&m->e[i], x)) {
			m->e[i] = *x;
			return;
		}
	assert_true(m->n < MSC_ARRAY_SIZE(m->e));
	m->e[m->n++] = *x;
}

/* Drop entries of @vpid: non-global ones when @ng (of @pcid unless @anyp), global when @g;
 * only those containing @va when @hasva. */
static void ref_drop(struct ref *m, u16 vpid, bool ng, bool anyp, u16 pcid, bool g, bool hasva,
		     u64 va)
{
	size_t w = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ref_entry *e = &m->e[i];
		bool sel = e->vpid == vpid && (e->global ? g : ng && (anyp || e->pcid == pcid)) &&
			   (!hasva || (va & ~(e->size - 1)) == e->va);

		if (!sel)
			m->e[w++] = *e;
	}
	m->n = w;
}

static size_t ref_hits(const struct ref *m, u16 vpid, u16 pcid, u64 va)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ref_entry *e = &m->e[i];

		if (e->vpid == vpid && (e->global || e->pcid == pcid) &&
		    (va & ~(e->size - 1)) == e->va)
			n++;
	}
	return n;
}

static void test_random_operations_match_reference_model(void **state)
{
	static const u64 sizes[] = {SZ_4K, SZ_2M, SZ_1G};
	struct tlb *t = new_tlb();
	struct ref *m = calloc(1, sizeof(*m));
	u32 seed = 12345;

	(void)state;
	assert_non_null(m);
	for (int step = 0; step < 20000; step++) {
		u32 op = lcg(&seed) % 16;
		u16 vpid = (u16)(lcg(&seed) % 2), pcid = (u16)(lcg(&seed) % 3);
		u64 va = 0x40000000ULL * (lcg(&seed) % 2) + 0x200000ULL * (lcg(&seed) % 3) +
			 SZ_4K * (lcg(&seed) % 4);

		if (op < 9) {
			struct ref_entry x = {.vpid = vpid, .pcid = pcid};
			struct walk_result r;

			x.size = sizes[lcg(&seed) % 3];
			x.global = lcg(&seed) % 4 == 0;
			x.va = va & ~(x.size - 1);
			x.pa = (u64)step * SZ_1G;
			ok_walk(&r, x.pa, x.size, ACC_ALL, x.global, true);
			tlb_insert(t, vpid, pcid, va, &r);
			ref_insert(m, &x);
		} else if (op < 12) {
			tlb_invlpg(t, vpid, pcid, va);
			ref_drop(m, vpid, true, false, pcid, true, true, va);
		} else if (op == 12) {
			tlb_invpcid(t, vpid, TLB_INVPCID_ADDR, pcid, va);
			ref_drop(m, vpid, true, false, pcid, false, true, va);
		} else if (op == 13) {
			tlb_invpcid(t, vpid, TLB_INVPCID_SINGLE, pcid, 0);
			ref_drop(m, vpid, true, false, pcid, false, false, 0);
		} else if (op == 14) {
			bool g = lcg(&seed) % 2;

			tlb_flush_pcid(t, vpid, pcid, g);
			ref_drop(m, vpid, true, false, pcid, g, false, 0);
		} else if (lcg(&seed) % 4 == 0) {
			/* rarer, wider: INVPCID types 2 and 3, flush of a VPID */
			u32 k = lcg(&seed) % 4;
			bool g = k & 1;

			if (k < 2)
				tlb_invpcid(t, vpid, g ? TLB_INVPCID_ALL_GLOBAL : TLB_INVPCID_ALL,
					    0, 0);
			else
				tlb_flush_vpid(t, vpid, g);
			ref_drop(m, vpid, true, true, 0, g, false, 0);
		}
		if (tlb_count(t) != m->n) {
			print_error("step %d: count want 0x%zx, got 0x%zx\n", step, m->n,
				    tlb_count(t));
			fail();
		}
		if (step % 64)
			continue;
		for (u16 v = 0; v < 2; v++)
			for (u16 p = 0; p < 3; p++)
				for (u64 a = 0; a < 0x80000000ULL; a += 0x40000000ULL)
					for (u64 b = 0; b < 3 * SZ_2M; b += SZ_4K)
						if (hits(t, v, p, a + b) !=
						    ref_hits(m, v, p, a + b)) {
							print_error("step %d: vpid %u pcid %u va "
								    "0x%llx: "
								    "want 0x%zx hits, got 0x%zx\n",
								    step, v, p,
								    (unsigned long long)(a + b),
								    ref_hits(m, v, p, a + b),
								    hits(t, v, p, a + b));
							fail();
						}
	}
	free(m);
	tlb_destroy(t);
}

/* Nested: a guest 2 MiB page backed by 4 KiB second-stage pages caches 4 KiB pieces. */
static void test_nested_walk_caches_smaller_stage_size(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_result r;
	const struct tlb_entry *e;

	(void)state;
	ok_walk(&r, 0x77123000, SZ_2M, ACC_ALL, false, true);
	r.gpa1 = 0x00523000;
	r.nested_page_size = SZ_4K;
	tlb_insert(t, 1, 0, 0x40323456, &r);
	e = only(t, 1, 0, 0x40323000);
	assert_hex("size of the combined translation", SZ_4K, e->size);
	assert_hex("va", 0x40323000, e->va);
	assert_hex("pa", 0x77123000, e->pa);
	assert_hex("another 4 KiB of the guest's 2 MiB page is not covered", 0,
		   hits(t, 1, 0, 0x40324000));
	/* INVLPG of any address of the guest's 2 MiB page must drop every piece. */
	tlb_invlpg(t, 1, 0, 0x40200000);
	assert_hex("count after INVLPG elsewhere in the 2 MiB page", 0, tlb_count(t));
	tlb_destroy(t);
}

static void test_nested_walk_with_larger_second_stage_keeps_first_stage_size(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_result r;

	(void)state;
	ok_walk(&r, 0x80005000, SZ_4K, ACC_ALL, false, true);
	r.nested_page_size = SZ_1G;
	tlb_insert(t, 1, 0, 0x7000, &r);
	assert_hex("size", SZ_4K, only(t, 1, 0, 0x7000)->size);
	tlb_destroy(t);
}

/* Allowed outcomes --------------------------------------------------------- */

static void assert_success(const struct tlb_outcome *o, bool from_tlb, u64 gpa)
{
	assert_hex("fault kind", WALK_FAULT_NONE, o->fault);
	assert_hex("from_tlb", from_tlb, o->from_tlb);
	assert_hex("gpa", gpa, o->gpa);
}

static void assert_pf(const struct tlb_outcome *o, bool from_tlb, u64 ec)
{
	assert_hex("fault kind", WALK_FAULT_PF, o->fault);
	assert_hex("from_tlb", from_tlb, o->from_tlb);
	assert_hex("error code", ec, o->error_code);
}

/* Remap without INVLPG: the stale translation and the fresh walk are both allowed. */
static void test_stale_translation_after_remap_gives_two_outcomes(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x700123, WALK_ACC_READ, 0);
	struct walk_result old, fresh;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];
	size_t n;

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&old, 0x1300123, SZ_4K, ACC_WRITE | ACC_EXEC, false, false);
	tlb_insert(t, 0, 0, req.addr, &old);
	ok_walk(&fresh, 0x1400123, SZ_4K, ACC_WRITE | ACC_EXEC, false, false);
	n = tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out);
	assert_hex("outcomes", 2, n);
	assert_success(&out[0], false, 0x1400123);
	assert_null(out[0].entry);
	assert_success(&out[1], true, 0x1300123);
	assert_ptr_equal(out[1].entry, only(t, 0, 0, req.addr));

	tlb_invlpg(t, 0, 0, req.addr);
	assert_hex("outcomes after INVLPG", 1,
		   tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	tlb_destroy(t);
}

/*
 * End to end with the real walker: a user page is read (cached) while read-only,
 * then made writable without INVLPG. A write may still fault through the stale
 * entry (SDM 4.10.4.3), with the error code the walker gave for the old PTE.
 */
static void test_stale_read_only_entry_faults_like_the_old_walk(void **state)
{
	struct gmem *m = NULL;
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = 0x1000000};
	struct pt_bump bump;
	struct pt_builder b;
	struct walk_gmem_ctx wctx;
	struct walk_ctx ctx;
	struct walk_cfg cfg;
	struct walk_req wr = mkreq(0x400abc, WALK_ACC_WRITE, 3);
	struct walk_req rd = mkreq(0x400abc, WALK_ACC_READ, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];
	struct tlb *t = new_tlb();
	u64 pte, ec_old;

	(void)state;
	assert_int_equal(gmem_create(&m, 0), 0);
	assert_int_equal(gmem_slot_add(m, &d), 0);
	bump = (struct pt_bump){.m = m, .as = 0, .next = 0x100000, .end = 0x200000};
	b = (struct pt_builder){.m = m,
				.as = 0,
				.fmt = WALK_FMT_4LVL,
				.levels = 4,
				.upper_flags = pt_default_upper_flags(WALK_FMT_4LVL),
				.alloc = pt_bump_alloc,
				.alloc_ctx = &bump};
	assert_int_equal(pt_bump_alloc(&bump, &b.root), 0);
	assert_int_equal(pt_map(&b, 0x400000, 0x800000, SZ_4K, PT_P | PT_U), 0);
	cfg_4lvl(&cfg);
	cfg.root = b.root;
	wctx = (struct walk_gmem_ctx){.m = m, .as = 0};
	ctx = (struct walk_ctx){.g = &cfg};
	walk_mem_gmem(&ctx.mem, &wctx);

	assert_false(walk_translate(&ctx, &wr, &r));
	assert_hex("old PTE: write faults", WALK_FAULT_PF, r.fault.kind);
	ec_old = r.fault.error_code;
	assert_true(walk_translate(&ctx, &rd, &r));
	tlb_insert(t, 0, 0, rd.addr, &r);

	assert_int_equal(pt_get_entry(&b, 0x400000, 1, &pte), 0);
	assert_int_equal(pt_set_entry(&b, 0x400000, 1, pte | PT_W), 0);
	assert_true(walk_translate(&ctx, &wr, &r));
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &wr, &r, out));
	assert_success(&out[0], false, 0x800abc);
	assert_pf(&out[1], true, ec_old);

	/* the #PF's own invalidation (SDM 4.10.4.1), done by its caller */
	tlb_invlpg(t, 0, 0, wr.addr);
	assert_hex("outcomes after the fault", 1,
		   tlb_allowed_outcomes(t, 0, 0, &cfg, &wr, &r, out));
	tlb_destroy(t);
	gmem_destroy(m);
}

/* P 1 -> 0 without INVLPG: the fresh #PF, or the old translation. */
static void test_unmapped_page_may_still_translate_through_tlb(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x4000, WALK_ACC_READ, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x9000, SZ_4K, ACC_ALL, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	memset(&r, 0, sizeof(r));
	r.fault.kind = WALK_FAULT_PF;
	r.fault.error_code = PFERR_U;
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_pf(&out[0], false, PFERR_U);
	assert_success(&out[1], true, 0x9000);
	tlb_destroy(t);
}

/* SDM 4.10.4.3: R/W 0 -> 1 without a flush; a write may still fault (clean entry). */
static void test_cached_entry_with_lesser_rights_gives_spurious_pf(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x7f0000001000ULL, WALK_ACC_WRITE, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_USER | ACC_EXEC, false, false); /* read-only, clean */
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, true); /* now writable; walk set D */
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[0], false, 0x3000);
	assert_pf(&out[1], true, PFERR_P | PFERR_W | PFERR_U);
	tlb_destroy(t);
}

/* U/S 0 -> 1 without a flush: a user read may fault through the old entry. */
static void test_cached_supervisor_entry_faults_user_read(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_READ, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_WRITE | ACC_EXEC, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, true);
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_pf(&out[1], true, PFERR_P | PFERR_U);
	tlb_destroy(t);
}

/* The TLB caches rights, not verdicts: today's CR0.WP decides a supervisor write. */
static void test_cached_rights_are_checked_with_todays_cr0_wp(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_WRITE, 0);
	struct walk_result r, fresh;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_EXEC, false, true); /* supervisor, read-only, D=1 */
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&fresh, 0x8000, SZ_4K, ACC_ALL, false, true);

	cfg.wp = true;
	assert_hex("outcomes, WP=1", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	assert_pf(&out[1], true, PFERR_P | PFERR_W);
	cfg.wp = false;
	assert_hex("outcomes, WP=0", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

static void test_cached_rights_are_checked_with_todays_smap_and_ac(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_READ, 0);
	struct walk_result r, fresh;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, true); /* user page */
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&fresh, 0x8000, SZ_4K, ACC_WRITE | ACC_EXEC, false, true); /* now supervisor */

	cfg.smap = true;
	assert_hex("outcomes, SMAP=1 AC=0", 2,
		   tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	assert_pf(&out[1], true, PFERR_P);
	req.ac = true;
	assert_hex("outcomes, SMAP=1 AC=1", 2,
		   tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	assert_success(&out[1], true, 0x3000);
	req.ac = false;
	cfg.smap = false;
	assert_hex("outcomes, SMAP=0", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &fresh, out));
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

/* SDM 4.8: a write through a clean entry walks to set D; only the walk is allowed. */
static void test_write_with_clean_cached_entry_yields_only_fresh_outcome(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_WRITE, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, false); /* writable, D=0 */
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x6000, SZ_4K, ACC_ALL, false, true);
	assert_hex("outcomes for a write", 1, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[0], false, 0x6000);

	req.acc = WALK_ACC_READ; /* a read may still use it */
	assert_hex("outcomes for a read", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

static void test_write_with_dirty_cached_entry_may_use_it(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_WRITE, 3);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x6000, SZ_4K, ACC_ALL, false, true);
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

static void test_duplicate_outcomes_are_merged(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x201234, WALK_ACC_READ, 0);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	/* a 4 KiB, a 2 MiB and a global 2 MiB supervisor entry, all giving the fresh walk's gpa */
	ok_walk(&r, 0x601234, SZ_4K, SUP_RWX, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x601234, SZ_2M, SUP_RWX, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	ok_walk(&r, 0x601234, SZ_2M, SUP_RWX, true, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	assert_hex("entries", 3, hits(t, 0, 0, req.addr));
	assert_hex("outcomes", 1, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[0], false, 0x601234);

	/* two entries with the same stale gpa merge into one TLB outcome */
	ok_walk(&r, 0x999234, SZ_4K, SUP_RWX, false, true);
	assert_hex("outcomes with a new mapping", 2,
		   tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_success(&out[0], false, 0x999234);
	assert_success(&out[1], true, 0x601234);
	tlb_destroy(t);
}

static void test_non_canonical_gp_has_no_tlb_outcome(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x0000800000001000ULL, WALK_ACC_READ, 0);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	/* an entry with the same bits, as if cached under another paging mode */
	ok_walk(&r, 0x3000, SZ_4K, ACC_ALL, false, true);
	tlb_insert(t, 0, 0, req.addr, &r);
	memset(&r, 0, sizeof(r));
	r.fault.kind = WALK_FAULT_GP;
	r.fault.vector = 13;
	assert_hex("outcomes", 1, tlb_allowed_outcomes(t, 0, 0, &cfg, &req, &r, out));
	assert_hex("fault kind", WALK_FAULT_GP, out[0].fault);
	assert_false(out[0].from_tlb);
	tlb_destroy(t);
}

static void test_fresh_ept_violation_reports_qualification(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_WRITE, 0);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];
	u64 qual = EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLAT;

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, SUP_RWX, false, true); /* combined mapping, writable, D=1 */
	tlb_insert(t, 2, 0, req.addr, &r);
	memset(&r, 0, sizeof(r));
	r.fault.kind = WALK_FAULT_EPT_VIOLATION;
	r.fault.exit_qual = qual;
	r.fault.gpa = 0x3000;
	assert_hex("outcomes", 2, tlb_allowed_outcomes(t, 2, 0, &cfg, &req, &r, out));
	assert_hex("fault kind", WALK_FAULT_EPT_VIOLATION, out[0].fault);
	assert_hex("qualification", qual, out[0].error_code);
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

static void test_outcomes_of_other_pcid_ignore_its_entries(void **state)
{
	struct tlb *t = new_tlb();
	struct walk_cfg cfg;
	struct walk_req req = mkreq(0x5000, WALK_ACC_READ, 0);
	struct walk_result r;
	struct tlb_outcome out[TLB_MAX_OUTCOMES];

	(void)state;
	cfg_4lvl(&cfg);
	ok_walk(&r, 0x3000, SZ_4K, SUP_RWX, false, true);
	tlb_insert(t, 0, 1, req.addr, &r);
	ok_walk(&r, 0x4000, SZ_4K, SUP_RWX, false, true);
	assert_hex("outcomes from PCID 2", 1, tlb_allowed_outcomes(t, 0, 2, &cfg, &req, &r, out));
	assert_hex("outcomes from PCID 1", 2, tlb_allowed_outcomes(t, 0, 1, &cfg, &req, &r, out));
	assert_success(&out[1], true, 0x3000);
	tlb_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_then_lookup_finds_each_page_size),
		cmocka_unit_test(test_failed_walk_is_not_cached),
		cmocka_unit_test(test_insert_of_same_page_and_tag_replaces_entry),
		cmocka_unit_test(test_insert_of_other_size_keeps_both),
		cmocka_unit_test(test_lookup_reports_total_beyond_max),
		cmocka_unit_test(test_pcid_isolates_nonglobal_entries),
		cmocka_unit_test(test_global_entry_visible_from_other_pcid),
		cmocka_unit_test(test_global_entry_survives_cr3_style_flush),
		cmocka_unit_test(test_flush_pcid_with_globals_keeps_other_vpid),
		cmocka_unit_test(test_flush_vpid_drops_only_that_vpid),
		cmocka_unit_test(test_flush_all_drops_globals_of_every_vpid),
		cmocka_unit_test(test_invlpg_drops_2m_entry_containing_address),
		cmocka_unit_test(test_invlpg_drops_1g_entry_containing_address),
		cmocka_unit_test(test_invlpg_drops_global_entry_of_that_page),
		cmocka_unit_test(test_invlpg_keeps_other_pcid_and_vpid_entries),
		cmocka_unit_test(test_invpcid_address_drops_that_page_of_that_pcid_only),
		cmocka_unit_test(test_invpcid_single_context_keeps_globals),
		cmocka_unit_test(test_invpcid_all_context_with_globals_empties_the_vpid),
		cmocka_unit_test(test_invpcid_all_context_keeps_globals),
		cmocka_unit_test(test_foreach_order_independent_of_insertion_order),
		cmocka_unit_test(test_growth_to_100k_entries_keeps_every_entry),
		cmocka_unit_test(test_random_operations_match_reference_model),
		cmocka_unit_test(test_nested_walk_caches_smaller_stage_size),
		cmocka_unit_test(test_nested_walk_with_larger_second_stage_keeps_first_stage_size),
		cmocka_unit_test(test_stale_translation_after_remap_gives_two_outcomes),
		cmocka_unit_test(test_unmapped_page_may_still_translate_through_tlb),
		cmocka_unit_test(test_cached_entry_with_lesser_rights_gives_spurious_pf),
		cmocka_unit_test(test_stale_read_only_entry_faults_like_the_old_walk),
		cmocka_unit_test(test_cached_supervisor_entry_faults_user_read),
		cmocka_unit_test(test_cached_rights_are_checked_with_todays_cr0_wp),
		cmocka_unit_test(test_cached_rights_are_checked_with_todays_smap_and_ac),
		cmocka_unit_test(test_write_with_clean_cached_entry_yields_only_fresh_outcome),
		cmocka_unit_test(test_write_with_dirty_cached_entry_may_use_it),
		cmocka_unit_test(test_duplicate_outcomes_are_merged),
		cmocka_unit_test(test_non_canonical_gp_has_no_tlb_outcome),
		cmocka_unit_test(test_fresh_ept_violation_reports_qualification),
		cmocka_unit_test(test_outcomes_of_other_pcid_ignore_its_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
