/* SPDX-License-Identifier: MIT */
/*
 * A long generated scenario for the timeline's bench and tests: a seeded
 * xorshift64 stream of accesses (read/write/fetch), CR3 switches among four
 * address spaces, map/unmap of 64 pages per address space and INVLPG, on a
 * 64-bit guest under shadow paging or EPT (the TDP MMU). Written as scenario
 * JSON and read with the ordinary loader. Static inline helpers only.
 */
#ifndef MSC_BENCH_TIMELINE_GEN_H
#define MSC_BENCH_TIMELINE_GEN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/types.h"
#include "sim/loader.h"

#define TLG_NAS 4 /* address spaces: PML4s at 0x1000 .. 0x4000 */
#define TLG_NVA 64 /* pages per address space: 16 in each of 4 page tables */
#define TLG_VA 0x400000ULL
#define TLG_DATA 0x200000ULL /* data pages 0x200000 .. 0x3ff000 */
#define TLG_SETUP 6 /* steps before the random ones */

struct tlg {
	u64 x; /* xorshift64 state */
	char *buf;
	size_t len, cap;
	bool oom;
	u64 mapped[TLG_NAS]; /* bit i: va i mapped in address space a */
	unsigned cur_as;
};

static inline u64 tlg_next(struct tlg *g)
{
	g->x ^= g->x << 13;
	g->x ^= g->x >> 7;
	g->x ^= g->x << 17;
	return g->x;
}

static inline unsigned tlg_below(struct tlg *g, unsigned n)
{
	return (unsigned)(tlg_next(g) % n);
}

__attribute__((format(printf, 2, 3))) static inline void tlg_put(struct tlg *g, const char *fmt,
								 ...)
{
	va_list ap;
	int n;

	if (g->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(g->buf + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			g->oom = true;
			return;
		}
		if ((size_t)n < g->cap - g->len) {
			g->len += (size_t)n;
			return;
		}
		size_t ncap = g->cap ? g->cap * 2 : 1 << 16;
		char *nb;

		while (ncap < g->len + (size_t)n + 1)
			ncap *= 2;
		nb = realloc(g->buf, ncap);
		if (!nb) {
			g->oom = true;
			return;
		}
		g->buf = nb;
		g->cap = ncap;
	}
}

static inline u64 tlg_root(unsigned as)
{
	return 0x1000ULL * (as + 1);
}

/* Page @i: 16 pages in each of 4 consecutive 2 MiB regions (4 page tables). */
static inline u64 tlg_va(unsigned i)
{
	return TLG_VA + ((u64)(i % 16) << 12) + ((u64)(i / 16) << 21);
}

/*
 * Map or unmap page @i in address space @as (whichever it is not), as guest
 * writes: KVM write-protects the tables it shadows, so they are emulated
 * (kvm_mmu_track_write()) or unsync the page, as a guest's own edits would.
 */
static inline void tlg_toggle(struct tlg *g, unsigned as, unsigned i)
{
	u64 va = tlg_va(i);

	if (g->mapped[as] >> i & 1) {
		tlg_put(g,
			",\n{\"op\":\"unmap\",\"format\":\"4level\",\"root\":\"0x%llx\",\"va\":"
			"\"0x%llx\","
			"\"mode\":\"guest\"}",
			(unsigned long long)tlg_root(as), (unsigned long long)va);
		g->mapped[as] &= ~(1ULL << i);
		return;
	}
	tlg_put(g,
		",\n{\"op\":\"map\",\"format\":\"4level\",\"root\":\"0x%llx\",\"va\":\"0x%llx\","
		"\"pa\":\"0x%llx\",\"flags\":\"%s\",\"mode\":\"guest\"}",
		(unsigned long long)tlg_root(as), (unsigned long long)va,
		(unsigned long long)(TLG_DATA + ((u64)tlg_below(g, 512) << 12)),
		tlg_below(g, 4) ? "P|W|U" : "P|U");
	g->mapped[as] |= 1ULL << i;
}

/*
 * The JSON text of a scenario of @nsteps steps (at least TLG_SETUP) from @seed,
 * on shadow paging (@ept false) or EPT with the TDP MMU. Returns a malloc'd
 * NUL-terminated buffer (*@len its length) or NULL when out of memory.
 */
static inline char *tlg_generate(u32 nsteps, u64 seed, bool ept, size_t *len)
{
	struct tlg g;

	memset(&g, 0, sizeof(g));
	g.x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	tlg_put(&g,
		"{\"version\":1,\"name\":\"timeline %s seed %llu\",\"machine\":{"
		"\"memslots\":[{\"gpa\":\"0x0\",\"size\":\"0x1000000\"}],"
		"\"pt_pool\":{\"as\":0,\"gpa\":\"0x100000\",\"size\":\"0x100000\"}%s},\n\"steps\":["
		"\n",
		ept ? "ept" : "shadow", (unsigned long long)seed, ept ? ",\"tdp\":\"ept\"" : "");
	/* Set-up: page 0 of each address space (its tables), then long mode. */
	tlg_put(&g, "{\"op\":\"expect\"}");
	for (unsigned as = 0; as < TLG_NAS; as++)
		tlg_toggle(&g, as, 0);
	tlg_put(&g, ",\n{\"op\":\"set\",\"cr4\":\"PAE\",\"efer\":\"LME|NXE\",\"cr3\":\"0x1000\","
		    "\"cr0\":\"PE|PG|WP\"}");
	for (u32 n = TLG_SETUP; n < nsteps; n++) {
		unsigned k = tlg_below(&g, 100), i = tlg_below(&g, TLG_NVA);
		u64 va = tlg_va(i) + ((u64)tlg_below(&g, 512) << 3);

		if (k < 25) {
			tlg_put(&g,
				",\n{\"op\":\"access\",\"va\":\"0x%llx\",\"kind\":\"read\","
				"\"size\":8}",
				(unsigned long long)va);
		} else if (k < 45) {
			tlg_put(&g,
				",\n{\"op\":\"access\",\"va\":\"0x%llx\",\"kind\":\"write\","
				"\"size\":8,"
				"\"value\":\"0x%llx\"}",
				(unsigned long long)va, (unsigned long long)tlg_next(&g));
		} else if (k < 50) {
			tlg_put(&g, ",\n{\"op\":\"access\",\"va\":\"0x%llx\",\"kind\":\"fetch\"}",
				(unsigned long long)(va & ~0xfffULL));
		} else if (k < 62) {
			g.cur_as = tlg_below(&g, TLG_NAS);
			tlg_put(&g, ",\n{\"op\":\"set\",\"cr3\":\"0x%llx\"}",
				(unsigned long long)tlg_root(g.cur_as));
		} else if (k < 88) {
			/* mostly the running address space, so its shadow pages change */
			unsigned as = tlg_below(&g, 3) ? g.cur_as : tlg_below(&g, TLG_NAS);

			tlg_toggle(&g, as, i ? i : 1);
		} else {
			tlg_put(&g, ",\n{\"op\":\"invlpg\",\"va\":\"0x%llx\"}",
				(unsigned long long)(va & ~0xfffULL));
		}
	}
	tlg_put(&g, "\n]}\n");
	if (g.oom) {
		free(g.buf);
		return NULL;
	}
	*len = g.len;
	return g.buf;
}

/* Load the generated scenario into @s (free with scn_free). 0 or the loader's error. */
static inline int tlg_load(struct scenario *s, u32 nsteps, u64 seed, bool ept)
{
	struct scn_error err;
	size_t len = 0;
	char *text = tlg_generate(nsteps, seed, ept, &len);
	int r;

	if (!text)
		return MSC_ENOMEM;
	r = scn_load_buffer("timeline-gen.json", text, len, s, &err);
	if (r) {
		char msg[1024];

		scn_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "timeline_gen: %s\n", msg);
	}
	free(text);
	return r;
}

#endif
