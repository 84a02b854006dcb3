/* SPDX-License-Identifier: MIT */
/* Differential campaigns: random architectural scenarios, batched runs (host/campaign.h). */
#include "host/campaign.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

/* splitmix64: scenario @index of campaign @seed gets its own stream. */
static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct gen {
	u64 x;
	struct camp_scenario *cs;
	bool oom;
	/* the scenario's paging mode */
	enum { M32, MPAE, M4, M5 } mode;
	bool pse, nx, pke, la57;
	u64 roots[2];
	unsigned nroots, cur_root;
	bool mapped[2][16];
	bool stale; /* no INVLPG after an edit */
};

static u64 rnd(struct gen *g)
{
	g->x = mix(g->x);
	return g->x;
}

static unsigned pick(struct gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

static char *vfmt(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

__attribute__((format(printf, 2, 3))) static void step(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (g->oom || g->cs->nsteps >= CAMP_MAX_STEPS)
		return;
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	if (!s) {
		g->oom = true;
		return;
	}
	g->cs->steps[g->cs->nsteps++] = s;
}

static const char *fmt_name(const struct gen *g)
{
	static const char *const names[] = {"32", "pae", "4level", "5level"};

	return names[g->mode];
}

/* 16 small pages at 0x400000.. and two large ones at 1 GiB (2 MiB, or 4 MiB
 * for 32-bit paging with PSE); nothing near the probe's window (top 4 MiB of
 * the 32-bit space, PML4E/PML5E 511). */
static u64 va_small(unsigned i)
{
	return 0x400000ULL + (u64)i * 0x1000;
}

static u64 large_size(const struct gen *g)
{
	return g->mode == M32 ? 0x400000ULL : 0x200000ULL;
}

static u64 va_large(const struct gen *g, unsigned i)
{
	return 0x40000000ULL + (u64)i * large_size(g);
}

/* Data frames: 0x100000 .. 0x7fffff (the pool with the tables is at 0x800000). */
static u64 pa_small(struct gen *g)
{
	return 0x100000ULL + (u64)pick(g, 0x700) * 0x1000;
}

static u64 pa_large(struct gen *g)
{
	u64 size = large_size(g);

	return size == 0x400000ULL ? 0x400000ULL : 0x200000ULL * (1 + pick(g, 3));
}

static void leaf_flags(struct gen *g, char *buf, size_t n, bool large)
{
	size_t len = 0;
	int k;

	k = snprintf(buf, n, "P%s%s%s%s%s", pick(g, 3) ? "|W" : "", pick(g, 3) ? "|U" : "",
		     pick(g, 4) ? "" : "|A", pick(g, 5) ? "" : "|D", pick(g, 5) ? "" : "|G");
	len = k > 0 ? (size_t)k : 0;
	if (g->mode != M32 && !pick(g, 4) && len < n)
		len += (size_t)snprintf(buf + len, n - len, "|NX");
	if ((g->mode == M4 || g->mode == M5) && !pick(g, 3) && len < n)
		len += (size_t)snprintf(buf + len, n - len, "|PKEY=%u", pick(g, 4));
	(void)large;
}

static void gen_map(struct gen *g, unsigned r)
{
	char flags[64];

	if (pick(g, 5) || (g->mode == M32 && !g->pse)) {
		unsigned i = pick(g, 16);

		leaf_flags(g, flags, sizeof(flags), false);
		step(g,
		     "{\"op\": \"map\", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": "
		     "\"0x%llx\", "
		     "\"pa\": \"0x%llx\", \"flags\": \"%s\", \"mode\": \"guest\"}",
		     fmt_name(g), (unsigned long long)g->roots[r], (unsigned long long)va_small(i),
		     (unsigned long long)pa_small(g), flags);
		g->mapped[r][i] = true;
		if (!g->stale && r == g->cur_root)
			step(g, "{\"op\": \"invlpg\", \"va\": \"0x%llx\"}",
			     (unsigned long long)va_small(i));
	} else {
		unsigned i = pick(g, 2);

		leaf_flags(g, flags, sizeof(flags), true);
		step(g,
		     "{\"op\": \"map\", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": "
		     "\"0x%llx\", "
		     "\"pa\": \"0x%llx\", \"size\": \"%s\", \"flags\": \"%s\", \"mode\": "
		     "\"guest\"}",
		     fmt_name(g), (unsigned long long)g->roots[r],
		     (unsigned long long)va_large(g, i), (unsigned long long)pa_large(g),
		     g->mode == M32 ? "4m" : "2m", flags);
		if (!g->stale && r == g->cur_root)
			step(g, "{\"op\": \"flush_tlb\"}");
	}
}

static void gen_unmap(struct gen *g)
{
	unsigned r = g->cur_root, i = pick(g, 16);

	if (!g->mapped[r][i]) {
		gen_map(g, r);
		return;
	}
	step(g,
	     "{\"op\": \"unmap\", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
	     "\"mode\": \"guest\"}",
	     fmt_name(g), (unsigned long long)g->roots[r], (unsigned long long)va_small(i));
	g->mapped[r][i] = false;
	if (!g->stale)
		step(g, "{\"op\": \"invlpg\", \"va\": \"0x%llx\"}",
		     (unsigned long long)va_small(i));
}

static void gen_access(struct gen *g)
{
	static const char *const kinds[] = {"read", "read", "write", "fetch"};
	static const unsigned sizes[] = {1, 2, 4, 8};
	const char *kind = kinds[pick(g, 4)];
	unsigned size = sizes[pick(g, 4)];
	u64 va = pick(g, 6) ? va_small(pick(g, 16)) : va_large(g, pick(g, 2));

	va += (u64)pick(g, 0x1000 / 8) * 8; /* aligned: no page-crossing access */
	if (!strcmp(kind, "fetch")) {
		step(g,
		     "{\"op\": \"access\", \"va\": \"0x%llx\", \"kind\": \"fetch\", \"cpl\": %u}",
		     (unsigned long long)va, pick(g, 2) ? 0 : 3);
		return;
	}
	step(g,
	     "{\"op\": \"access\", \"va\": \"0x%llx\", \"kind\": \"%s\", \"size\": %u, "
	     "\"cpl\": %u%s}",
	     (unsigned long long)va, kind, size, pick(g, 2) ? 0 : 3,
	     !strcmp(kind, "write") ? ", \"value\": \"0x5a\"" : "");
}

static void gen_regs(struct gen *g)
{
	switch (pick(g, 6)) {
	case 0:
		step(g, "{\"op\": \"set\", \"cr0\": \"%s\"}", pick(g, 2) ? "PE|PG|WP" : "PE|PG");
		break;
	case 1: {
		/* CR4 with the mode's bits kept; SMEP/SMAP/PGE (and PKE in IA-32e) toggled. */
		char cr4[96];
		int n = snprintf(cr4, sizeof(cr4), "%s%s%s", g->mode == M32 ? "0x0" : "PAE",
				 g->la57 ? "|LA57" : "", g->pse ? "|PSE" : "");

		if (n > 0 && (size_t)n < sizeof(cr4))
			snprintf(cr4 + n, sizeof(cr4) - (size_t)n, "%s%s%s%s",
				 pick(g, 2) ? "|SMEP" : "", pick(g, 2) ? "|SMAP" : "",
				 pick(g, 2) ? "|PGE" : "",
				 (g->mode >= M4 && pick(g, 2)) ? "|PKE" : "");
		step(g, "{\"op\": \"set\", \"cr4\": \"%s\"}", cr4);
		break;
	}
	case 2:
		step(g, "{\"op\": \"set\", \"rflags\": \"%s\"}", pick(g, 2) ? "FIXED|AC" : "FIXED");
		break;
	case 3:
		if (g->mode >= M4) {
			step(g, "{\"op\": \"set\", \"pkru\": \"0x%llx\"}",
			     (unsigned long long)(rnd(g) & 0xff));
			break;
		}
		/* fall through */
	case 4:
		if (g->nroots > 1) {
			g->cur_root ^= 1;
			step(g, "{\"op\": \"set\", \"cr3\": \"0x%llx\"}",
			     (unsigned long long)g->roots[g->cur_root]);
			break;
		}
		/* fall through */
	default:
		step(g, "{\"op\": \"flush_tlb\"}");
		break;
	}
}

/*
 * L2 under SVM nested paging (docs/host.md "Nested paging"), for an L1 in
 * 4-level paging: L1's NPT at NCR3 maps L2 gpa 0-2 MiB (L2's root at L2_ROOT)
 * and the table pool identity, and L2 gpa 0xa00000 + j pages (j < 4) to data
 * frames with random nested flags (j = 4 stays unmapped); L2's tables map its
 * va 0x600000 + i pages (i < 4) to those gpas with random flags. Then a
 * vmentry into 64-bit 4-level L2, two to five L2 accesses, a vmexit.
 */
#define NCR3 0x4000ULL
#define L2_ROOT 0x3000ULL
#define L2_VA 0x600000ULL
#define L2_GPA 0xa00000ULL

static void gen_nested(struct gen *g)
{
	static const char *const kinds[] = {"read", "read", "write", "fetch"};
	char flags[64];
	unsigned n;

	step(g,
	     "{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x0\", "
	     "\"pa\": \"0x0\", \"size\": \"2m\", \"flags\": \"P|W|U\", \"mode\": \"guest\"}",
	     (unsigned long long)NCR3);
	step(g,
	     "{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": "
	     "\"0x800000\", \"pa\": \"0x800000\", \"size\": \"2m\", \"flags\": \"P|W|U\", "
	     "\"mode\": \"guest\"}",
	     (unsigned long long)NCR3);
	for (unsigned j = 0; j < 4; j++) {
		/* nested leaves: U mostly (NPT walks are user accesses), W, NX with
		 * L1's EFER.NXE */
		snprintf(flags, sizeof(flags), "P%s%s%s", pick(g, 3) ? "|W" : "",
			 pick(g, 6) ? "|U" : "", g->nx && !pick(g, 4) ? "|NX" : "");
		step(g,
		     "{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": "
		     "\"0x%llx\", \"pa\": \"0x%llx\", \"flags\": \"%s\", \"mode\": \"guest\"}",
		     (unsigned long long)NCR3, (unsigned long long)(L2_GPA + j * 0x1000ULL),
		     (unsigned long long)pa_small(g), flags);
	}
	for (unsigned i = 0; i < 4; i++) {
		snprintf(flags, sizeof(flags), "P%s%s%s%s%s", pick(g, 3) ? "|W" : "",
			 pick(g, 3) ? "|U" : "", pick(g, 4) ? "" : "|A", pick(g, 5) ? "" : "|D",
			 pick(g, 4) ? "" : "|NX");
		step(g,
		     "{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": "
		     "\"0x%llx\", \"pa\": \"0x%llx\", \"flags\": \"%s\", \"mode\": \"guest\"}",
		     (unsigned long long)L2_ROOT, (unsigned long long)(L2_VA + i * 0x1000ULL),
		     (unsigned long long)(L2_GPA + pick(g, 5) * 0x1000ULL), flags);
	}
	step(g,
	     "{\"op\": \"vmentry\", \"svm\": {\"ncr3\": \"0x%llx\", \"asid\": %u, \"npt\": "
	     "true}, \"l2\": {\"cr0\": \"%s\", \"cr4\": \"PAE%s%s\", \"efer\": \"%s\", "
	     "\"cr3\": \"0x%llx\", \"cs_l\": 1}}",
	     (unsigned long long)NCR3, 1 + pick(g, 4), pick(g, 3) ? "PE|PG|WP" : "PE|PG",
	     pick(g, 2) ? "|SMEP" : "", pick(g, 2) ? "|SMAP" : "", pick(g, 4) ? "LME|NXE" : "LME",
	     (unsigned long long)L2_ROOT);
	n = 2 + pick(g, 4);
	for (unsigned k = 0; k < n; k++) {
		const char *kind = kinds[pick(g, 4)];
		u64 va = L2_VA + pick(g, 4) * 0x1000ULL + (u64)pick(g, 0x1000 / 8) * 8;

		if (!strcmp(kind, "fetch"))
			step(g,
			     "{\"op\": \"access\", \"va\": \"0x%llx\", \"kind\": \"fetch\", "
			     "\"cpl\": %u}",
			     (unsigned long long)va, pick(g, 2) ? 0 : 3);
		else
			step(g,
			     "{\"op\": \"access\", \"va\": \"0x%llx\", \"kind\": \"%s\", \"size\": "
			     "8, \"cpl\": %u%s}",
			     (unsigned long long)va, kind, pick(g, 2) ? 0 : 3,
			     !strcmp(kind, "write") ? ", \"value\": \"0x5a\"" : "");
	}
	step(g, "{\"op\": \"vmexit\"}");
}

/* printf into a new string; NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	return s;
}

/* The scenario's text up to its first step. */
static char *fmt_head(u64 seed, u32 index, const char *fmt, const char *tdp)
{
	return fmt_alloc("{\n  \"version\": 1,\n  \"name\": \"diff seed %llu #%u (%s)\",\n"
			 "  \"description\": \"mmuscope diff: random scenario %u of campaign seed "
			 "%llu.\",\n  \"machine\": {\"vendor\": \"amd\", \"maxphyaddr\": 40, "
			 "\"features\": [\"nx\", \"pse\", \"pse36\", \"pae\", \"pge\", \"1g\", "
			 "\"lm\", \"la57\", \"smep\", \"smap\", \"pku\", \"svm\", \"npt\"], "
			 "\"tdp\": \"%s\",\n    \"memslots\": [{\"as\": 0, \"id\": 0, \"gpa\": "
			 "\"0x0\", \"size\": \"0x1000000\"}, {\"as\": 1, \"id\": 0, \"gpa\": "
			 "\"0x0\", \"size\": \"0x1000000\", \"alias\": {\"as\": 0, \"id\": 0, "
			 "\"offset\": \"0x0\"}}],\n    \"pt_pool\": {\"gpa\": \"0x800000\", "
			 "\"size\": \"0x100000\"}},\n  \"steps\": [\n",
			 (unsigned long long)seed, index, fmt, index, (unsigned long long)seed,
			 tdp);
}

int camp_generate(u64 seed, u32 index, u32 steps, const char *machine, bool stale,
		  struct camp_scenario *out)
{
	struct gen g;
	const char *tdp = machine ? machine : "npt";
	char *head;
	u32 i, smi_at, nested_at;
	u64 sx, nx;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.x = mix(seed ^ mix(index));
	g.cs = out;
	g.stale = stale;
	if (steps < 8)
		steps = 8;
	if (steps > CAMP_MAX_STEPS - 16)
		steps = CAMP_MAX_STEPS - 16;
	g.mode = pick(&g, 4);
	g.pse = g.mode == M32 && pick(&g, 2);
	g.nx = g.mode != M32 && pick(&g, 3);
	g.la57 = g.mode == M5;
	g.nroots = 1 + pick(&g, 2);
	/* PAE's PDPT is 32-byte aligned: put it inside a page on purpose. */
	g.roots[0] = g.mode == MPAE ? 0x1020 : 0x1000;
	g.roots[1] = g.mode == MPAE ? 0x2040 : 0x2000;

	/* The machine: an AMD CPU like QEMU's "-cpu max" under TCG (no PCID). */
	head = fmt_head(seed, index, fmt_name(&g), tdp);
	if (!head)
		return MSC_ENOMEM;
	out->head = head;

	/* Tables first (set-up: the guest does not page yet), then the mode. */
	for (unsigned r = 0; r < g.nroots; r++)
		for (i = 0; i < 6; i++)
			gen_map(&g, r);
	step(&g,
	     "{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"%s%s%s\", \"efer\": \"%s\", "
	     "\"cr3\": \"0x%llx\"}",
	     g.mode == M32 ? "0x0" : "PAE", g.la57 ? "|LA57" : "", g.pse ? "|PSE" : "",
	     g.mode >= M4 ? (g.nx ? "LME|NXE" : "LME") : (g.nx ? "NXE" : "0x0"),
	     (unsigned long long)g.roots[0]);
	step(&g, "{\"op\": \"set\", \"cr0\": \"%s\"%s}", pick(&g, 3) ? "PE|PG|WP" : "PE|PG",
	     g.mode >= M4 ? ", \"cs_l\": 1" : "");
	out->nfixed = out->nsteps;
	/* An SMI and its RSM (SMM as QEMU gives it: address space 1 aliases RAM)
	 * in a quarter of the scenarios, at most one pair so that no subset of the
	 * steps (shrinking) has an SMI in SMM. Drawn from a stream of its own: the
	 * other steps are those of a campaign without them. */
	sx = mix(mix(seed ^ mix(index)) ^ 0x534d49ULL);
	smi_at = (sx & 3) == 0 ? (u32)((sx >> 8) % steps) : UINT32_MAX;
	/* A nested-paging episode (gen_nested) in a third of the 4-level
	 * scenarios, likewise from a stream of its own. */
	nx = mix(mix(seed ^ mix(index)) ^ 0x4e5054ULL);
	nested_at = g.mode == M4 && nx % 3 == 0 ? (u32)((nx >> 8) % steps) : UINT32_MAX;
	for (i = 0; i < steps && !g.oom; i++) {
		unsigned r = pick(&g, 20);

		if (i == smi_at) {
			step(&g, "{\"op\": \"smi\"}");
			step(&g, "{\"op\": \"rsm\"}");
		}
		if (i == nested_at) {
			struct gen ng = g;

			ng.x = mix(nx);
			gen_nested(&ng);
			g.oom |= ng.oom;
		}

		if (r < 11)
			gen_access(&g);
		else if (r < 14)
			gen_map(&g, g.cur_root);
		else if (r < 15)
			gen_unmap(&g);
		else if (r < 17)
			step(&g, "{\"op\": \"invlpg\", \"va\": \"0x%llx\"}",
			     (unsigned long long)va_small(pick(&g, 16)));
		else
			gen_regs(&g);
	}
	if (g.oom) {
		camp_free(out);
		return MSC_ENOMEM;
	}
	return 0;
}

void camp_free(struct camp_scenario *cs)
{
	free(cs->head);
	for (u32 i = 0; i < cs->nsteps; i++)
		free(cs->steps[i]);
	memset(cs, 0, sizeof(*cs));
}

char *camp_json(const struct camp_scenario *cs, const bool *keep)
{
	size_t len = strlen(cs->head) + 16, pos;
	bool first = true;
	char *s;

	for (u32 i = 0; i < cs->nsteps; i++)
		len += strlen(cs->steps[i]) + 8;
	s = malloc(len);
	if (!s)
		return NULL;
	pos = (size_t)snprintf(s, len, "%s", cs->head);
	for (u32 i = 0; i < cs->nsteps; i++) {
		if (keep && !keep[i])
			continue;
		pos += (size_t)snprintf(s + pos, len - pos, "%s    %s", first ? "" : ",\n",
					cs->steps[i]);
		first = false;
	}
	snprintf(s + pos, len - pos, "\n  ]\n}\n");
	return s;
}

int camp_run_batch(const struct host_runner *runner, const void *image,
		   const struct lower_result *lr, u32 n, struct cmp_summary *per,
		   struct camp_tally *total, char *err, size_t errlen)
{
	struct hb_batch all;
	struct host_result res;
	struct hb_record *recs = NULL;
	struct cmp_item *items = NULL;
	u32 *off = calloc((size_t)n + 1, sizeof(*off));
	void *buf = NULL;
	size_t len;
	u32 ri = 0;
	int r = 0;

	memset(&res, 0, sizeof(res));
	hb_init(&all);
	if (!off)
		return MSC_ENOMEM;
	for (u32 j = 0; j < n && !r; j++) {
		off[j] = all.ncmds;
		for (u32 c = 0; c < lr[j].batch.ncmds && !r; c++)
			r = hb_push(&all, &lr[j].batch.cmds[c]);
	}
	off[n] = all.ncmds;
	if (n) {
		/* One CPU per batch: the campaign's scenarios share their machine. */
		all.cpu_off = lr[0].batch.cpu_off;
		all.maxphyaddr = lr[0].batch.maxphyaddr;
	}
	if (r)
		goto out;
	len = sizeof(struct hb_header) + (size_t)all.ncmds * sizeof(struct hb_cmd);
	buf = malloc(len);
	if (!buf || hb_serialize(&all, buf, len) != len) {
		r = MSC_ENOMEM;
		goto out;
	}
	r = runner->run(image, buf, len, &res, err, errlen);
	if (r)
		goto out;
	for (u32 j = 0; j < n; j++) {
		struct cmp_summary s = {0};
		u32 nrec = 0, nitems = 0;

		/* This scenario's records, rebased onto its own command indices. */
		free(recs);
		free(items);
		recs = calloc((size_t)res.nrecs + 1, sizeof(*recs));
		items = calloc((size_t)lr[j].npreds + res.nrecs + 1, sizeof(*items));
		if (!recs || !items) {
			r = MSC_ENOMEM;
			goto out;
		}
		while (ri < res.nrecs && res.recs[ri].cmd < off[j + 1]) {
			if (res.recs[ri].cmd >= off[j]) {
				recs[nrec] = res.recs[ri];
				recs[nrec++].cmd -= off[j];
			}
			ri++;
		}
		host_compare(&lr[j], recs, nrec, runner->name, items, &nitems, &s);
		for (u32 k = 0; k < nitems; k++) {
			u32 w;

			if (items[k].v != CMP_SKIPPED)
				continue;
			for (w = 0; w < CAMP_SKIP_REASONS && total->skip_n[w] &&
				    strcmp(total->skip_why[w], items[k].why);
			     w++)
				;
			if (w == CAMP_SKIP_REASONS)
				continue;
			if (!total->skip_n[w])
				snprintf(total->skip_why[w], sizeof(total->skip_why[w]), "%s",
					 items[k].why);
			total->skip_n[w]++;
		}
		if (per)
			per[j] = s;
		total->scenarios++;
		if (lr[j].skipped)
			total->skipped_scenarios++;
		total->probes += lr[j].accesses;
		total->sum.match += s.match;
		total->sum.explained += s.explained;
		total->sum.unexplained += s.unexplained;
		total->sum.skipped += s.skipped;
	}
out:
	host_result_free(&res);
	hb_free(&all);
	free(buf);
	free(recs);
	free(items);
	free(off);
	return r;
}
