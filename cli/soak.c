// SPDX-License-Identifier: MIT
/*
 * mmuscope soak: a seeded random shadow-paging run with the MMU auditor on
 * (docs/audit.md). A deterministic xorshift64 generator writes a scenario -- a
 * 64-bit guest with 2 to 4 address spaces' tables in a pt_pool -- of random
 * map/unmap/set_entry (setup and guest writes), CR3 switches, CR0.WP and
 * CR4.SMEP/SMAP toggles, accesses (read/write/fetch, CPL 0/3, RFLAGS.AC),
 * INVLPG, TLB flushes and zaps; the engine runs it with sim_set_audit(). Every
 * divergence (the transparency check) and audit violation is reported; the
 * exit code is 0 only when there are none. Expectation failures are not
 * counted: the steps carry no expectations about their outcome. --nested adds
 * an L2 guest (vmentry/vmexit) and, on TDP machines, L1's EPT/NPT tables for it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define SOAK_MAX_AS 4
#define SOAK_NVA4K 64 /* 4 KiB pages at 0x400000 + i * 0x1000 (+ a second PDE) */
#define SOAK_NVA2M 4 /* 2 MiB pages at 0x40000000 + i * 0x200000 */

/* --machine: the shadow MMU (the default), or TDP under KVM's legacy direct MMU
 * (tdp_mmu false) or its TDP MMU. */
enum soak_machine {
	SOAK_SHADOW,
	SOAK_EPT,
	SOAK_EPT_TDP_MMU,
	SOAK_NPT,
	SOAK_NPT_TDP_MMU,
};

static const char *const soak_machine_names[] = {"shadow", "ept", "ept-tdp-mmu", "npt",
						 "npt-tdp-mmu"};

/* The extra memslot that comes and goes (memslot_add/delete): as 0, 64 KiB. */
#define SOAK_XSLOT_ID 9
#define SOAK_XSLOT_GPA 0xa00000ULL
#define SOAK_XSLOT_PAGES 16
/* Never a memslot: 0x800000.. (past RAM) and a high gpa (256 GiB). */
#define SOAK_GAP_GPA 0x800000ULL
#define SOAK_HIGH_GPA 0x4000000000ULL
/* The SMM layout's state save area page (SMBASE 0x30000 + 0xfe00): no data page. */
#define SOAK_SMRAM_SAVE_PAGE 0x3f000ULL

struct soak_opts {
	enum soak_machine machine;
	bool ext; /* gaps, pre_fault, memslot_add/delete (TDP machines, or --pre-fault) */
	bool smm; /* smi ... rsm sequences (--smm) */
	bool nested; /* vmentry/vmexit and L1's EPT/NPT tables for L2 (--nested) */
};

/*
 * --nested: L1's EPT (ept4) or NPT (4-level, nCR3) tables for L2 at two roots
 * below the data pages. Each maps L2 gpa 0..2 MiB (L2's CR3 roots and the low
 * data pages) with one 2 MiB leaf, identity; 0x200000..0x3fffff with 4 KiB
 * leaves onto random L1 data pages (L1's edits move them); the pool
 * (L2's page tables, shared with L1) and the far regions identity with 2 MiB
 * leaves. L2 runs L1's address spaces: its CR3 is one of their roots.
 */
#define SOAK_NEST_ROOTS 2
#define SOAK_NEST_NB 511 /* region B pages (entry 511 is the windows' target) */
#define SOAK_NEST_SETUP 192 /* region B pages mapped by the set-up */
#define SOAK_MAX_VCPUS 4

struct soak_gen {
	u64 x; /* xorshift64 state */
	struct soak_opts o;
	bool xslot; /* the extra memslot exists now */
	char *buf;
	size_t len, cap;
	bool oom;
	unsigned nas, nvcpus;
	u64 mapped4k[SOAK_MAX_AS]; /* bit i: va i mapped now */
	u64 built4k[SOAK_MAX_AS]; /* bit i: va i's path exists */
	unsigned mapped2m[SOAK_MAX_AS];
	unsigned win[SOAK_MAX_AS]; /* bit k: window k maps a page table */
	/* --nested: region B's leaves present now (per root), region A's 2 MiB
	 * leaf present, and which vCPUs run L2. */
	u64 nb_map[SOAK_NEST_ROOTS][(SOAK_NEST_NB + 63) / 64];
	bool na_map[SOAK_NEST_ROOTS];
	bool in_l2[SOAK_MAX_VCPUS];
};

static u64 rnd(struct soak_gen *g)
{
	g->x ^= g->x << 13;
	g->x ^= g->x >> 7;
	g->x ^= g->x << 17;
	return g->x;
}

static unsigned pick(struct soak_gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

__attribute__((format(printf, 2, 3))) static void out(struct soak_gen *g, const char *fmt, ...)
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
		if ((size_t)n < g->cap - g->len)
			break;
		size_t cap = (g->cap + (size_t)n) * 2;
		char *p = realloc(g->buf, cap);

		if (!p) {
			g->oom = true;
			return;
		}
		g->buf = p;
		g->cap = cap;
	}
	g->len += (size_t)n;
}

static u64 root_of(unsigned as)
{
	return 0x1000ULL * (as + 1);
}

static u64 va4k(unsigned i)
{
	/* Two PDEs' worth (0x400000 and 0x600000), so PT pages are shared and not. */
	return 0x400000ULL + (u64)(i % 32) * 0x1000 + (u64)(i / 32) * 0x200000;
}

static u64 va2m(unsigned i)
{
	return 0x40000000ULL + (u64)i * 0x200000;
}

/* A data page: 0x10000..0x3fffff, never a page table (roots at 0x1000..0x4000,
 * the pt_pool from 0x400000), so the tables change only through the table ops. */
static u64 pa4k(struct soak_gen *g)
{
	u64 pa = (u64)(16 + pick(g, 1008)) << 12;

	/* Another vCPU must not write the save area while one is in SMM. */
	if (g->o.smm && pa == SOAK_SMRAM_SAVE_PAGE)
		pa -= 0x1000;
	return pa;
}

/* A data page outside RAM: a memslot-free gap (MMIO) or the extra slot's. */
static u64 pa_far(struct soak_gen *g)
{
	switch (pick(g, 3)) {
	case 0:
		return SOAK_GAP_GPA + ((u64)pick(g, 16) << 12);
	case 1:
		return SOAK_XSLOT_GPA + ((u64)pick(g, SOAK_XSLOT_PAGES) << 12);
	default:
		return SOAK_HIGH_GPA + ((u64)pick(g, 16) << 12);
	}
}

/* A 4 KiB map's frame: with the extension, one in six lies outside RAM. */
static u64 pa_map(struct soak_gen *g)
{
	return g->o.ext && !pick(g, 6) ? pa_far(g) : pa4k(g);
}

/* A 2 MiB map's frame: RAM, or (extension) the gap or the extra slot's block. */
static u64 pa2m(struct soak_gen *g)
{
	if (!g->o.ext || pick(g, 4))
		return 0x200000ULL;
	return pick(g, 2) ? SOAK_GAP_GPA : SOAK_XSLOT_GPA;
}

static const char *const flag_sets[] = {
	"P|W|U|A|D", "P|W|U|A|D", "P|U|A", "P|W|A|D", "P|A", "P|W|U|A", "P|W|U|A|D|NX", "P|W|U",
};

static void step_begin(struct soak_gen *g, unsigned vcpu, const char *op)
{
	out(g, ",\n    {\"op\": \"%s\"", op);
	if (vcpu)
		out(g, ", \"vcpu\": %u", vcpu);
}

/*
 * Table writes after the set-up are the guest's own: a "setup" write is a host
 * write KVM never sees, so it would leave shadow pages stale behind KVM's back
 * (the audit reports exactly that). @g keeps the generator's stream unchanged.
 */
static const char *mode(struct soak_gen *g)
{
	(void)pick(g, 2);
	return "guest";
}

static void gen_map(struct soak_gen *g, unsigned vcpu)
{
	unsigned as = pick(g, g->nas);

	if (pick(g, 6)) {
		unsigned i = pick(g, SOAK_NVA4K);

		step_begin(g, vcpu, "map");
		out(g,
		    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"pa\": \"0x%llx\", \"flags\": \"%s\", \"mode\": \"%s\"}",
		    (unsigned long long)root_of(as), (unsigned long long)va4k(i),
		    (unsigned long long)pa_map(g), flag_sets[pick(g, MSC_ARRAY_SIZE(flag_sets))],
		    mode(g));
		g->mapped4k[as] |= BIT_ULL(i);
		g->built4k[as] |= BIT_ULL(i);
	} else {
		unsigned i = pick(g, SOAK_NVA2M);

		step_begin(g, vcpu, "map");
		out(g,
		    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"pa\": \"0x%llx\", \"size\": \"2m\", \"flags\": \"%s\", \"mode\": \"%s\"}",
		    (unsigned long long)root_of(as), (unsigned long long)va2m(i),
		    (unsigned long long)pa2m(g), flag_sets[pick(g, MSC_ARRAY_SIZE(flag_sets))],
		    mode(g));
		g->mapped2m[as] |= 1u << i;
	}
}

static void gen_unmap_or_set_entry(struct soak_gen *g, unsigned vcpu)
{
	unsigned as = pick(g, g->nas), i = pick(g, SOAK_NVA4K);
	u64 val;

	if (!(g->built4k[as] & BIT_ULL(i))) {
		gen_map(g, vcpu);
		return;
	}
	if (pick(g, 2) && (g->mapped4k[as] & BIT_ULL(i))) {
		step_begin(g, vcpu, "unmap");
		out(g,
		    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"mode\": \"%s\"}",
		    (unsigned long long)root_of(as), (unsigned long long)va4k(i), mode(g));
		g->mapped4k[as] &= ~BIT_ULL(i);
		return;
	}
	/* A raw leaf with P clear counts as unmapped (unmap refuses those). */
	/* A raw leaf: a random frame with random low flags (P, W, U, A, D). */
	val = rnd(g);
	step_begin(g, vcpu, "set_entry");
	out(g,
	    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", \"level\": 1, "
	    "\"value\": \"0x%llx\", \"mode\": \"%s\"}",
	    (unsigned long long)root_of(as), (unsigned long long)va4k(i),
	    (unsigned long long)(pa4k(g) | (val & 0x67)), mode(g));
	if (val & 1)
		g->mapped4k[as] |= BIT_ULL(i);
	else
		g->mapped4k[as] &= ~BIT_ULL(i);
}

static void gen_access(struct soak_gen *g, unsigned vcpu)
{
	static const char *const kinds[] = {"read", "write", "fetch"};
	unsigned r = pick(g, 10);
	u64 va = r < 7 ? va4k(pick(g, SOAK_NVA4K)) : r < 9 ? va2m(pick(g, SOAK_NVA2M)) : 0x800000;

	va += (u64)pick(g, 512) * 8;
	step_begin(g, vcpu, "access");
	out(g, ", \"va\": \"0x%llx\", \"kind\": \"%s\", \"size\": 8, \"cpl\": %u",
	    (unsigned long long)va, kinds[pick(g, 3)], pick(g, 2) ? 0 : 3);
	out(g, "}");
}

/* Linear windows onto page-table frames: 0x7f000000 + k * 0x1000. */
#define SOAK_NWIN 4

/*
 * The guest writes one of its own page tables through a linear mapping: a
 * window k is (re)mapped to a root or one of the first pool pages (the tables
 * built first), then written at entry 511 (never used by the soak's addresses)
 * or misaligned inside it, by an instruction whose bytes say how KVM handles a
 * write-protection fault: MOV of 8, 4, 2 or 1 bytes (page-table writing:
 * emulated, misaligned below 4 bytes), or ADD (not: unprotect and retry).
 */
static void gen_pt_poke(struct soak_gen *g, unsigned vcpu)
{
	static const struct {
		const char *insn;
		unsigned size, off;
	} w[] = {
		{"48 89 07", 8, 0xff8}, {"89 07", 4, 0xffc},	{"66 89 07", 2, 0xff8},
		{"88 07", 1, 0xff8},	{"48 01 07", 8, 0xff8}, {"89 07", 4, 0xff8},
	};
	unsigned k = pick(g, SOAK_NWIN), as = pick(g, g->nas), i = pick(g, MSC_ARRAY_SIZE(w));
	u64 win = 0x7f000000ULL + (u64)k * 0x1000, table, val;

	if (!pick(g, 3)) {
		table = pick(g, 2) ? root_of(pick(g, g->nas))
				   : 0x400000ULL + (u64)pick(g, 8) * 0x1000;
		step_begin(g, vcpu, "map");
		out(g,
		    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"pa\": \"0x%llx\", \"flags\": \"P|W|A|D\", \"mode\": \"guest\"}",
		    (unsigned long long)root_of(as), (unsigned long long)win,
		    (unsigned long long)table);
		g->win[as] |= 1u << k;
		return;
	}
	if (!(g->win[as] & (1u << k)))
		return;
	/* A non-present entry value (P clear) that fits the write. */
	val = rnd(g) & 0xfffffffffffffffeULL;
	if (w[i].size < 8)
		val &= (1ULL << (8 * w[i].size)) - 1;
	/* The vCPU may run another address space: then the access simply faults. */
	step_begin(g, vcpu, "access");
	out(g,
	    ", \"va\": \"0x%llx\", \"kind\": \"write\", \"size\": %u, \"cpl\": 0, "
	    "\"value\": \"0x%llx\", \"insn\": \"%s\"}",
	    (unsigned long long)(win + w[i].off), w[i].size, (unsigned long long)val, w[i].insn);
}

/*
 * KVM_PRE_FAULT_MEMORY over a random range: RAM (page tables included), the end
 * of RAM into the gap, the extra slot (present or not), or now and then a range
 * the ioctl refuses (EINVAL). No expect: ENOENT, EINVAL, EINTR and (shadow)
 * EOPNOTSUPP are normal outcomes; later accesses check what was mapped.
 */
static void gen_pre_fault(struct soak_gen *g, unsigned vcpu)
{
	unsigned k = pick(g, 10);
	u64 gpa, size = (u64)(1 + pick(g, 8)) << 12;
	const char *flags = NULL;

	if (k < 6)
		gpa = (u64)pick(g, 0x800) << 12;
	else if (k < 7)
		gpa = SOAK_GAP_GPA - ((u64)pick(g, 4) << 12);
	else if (k < 9)
		gpa = SOAK_XSLOT_GPA + ((u64)pick(g, SOAK_XSLOT_PAGES + 4) << 12) - 0x2000;
	else {
		gpa = (u64)pick(g, 0x800) << 12;
		switch (pick(g, 3)) {
		case 0:
			gpa += 0x800;
			break;
		case 1:
			size = 0;
			break;
		default:
			flags = "0x1";
			break;
		}
	}
	step_begin(g, vcpu, "pre_fault");
	out(g, ", \"gpa\": \"0x%llx\", \"size\": \"0x%llx\"", (unsigned long long)gpa,
	    (unsigned long long)size);
	if (flags)
		out(g, ", \"flags\": \"%s\"", flags);
	out(g, "}");
}

/* The extra slot comes (plain, read-only or dirty-logged) or goes: a fast zap,
 * root invalidation and a new memslot generation (stale MMIO SPTEs). */
static void gen_memslot(struct soak_gen *g, unsigned vcpu)
{
	if (g->xslot) {
		step_begin(g, vcpu, "memslot_delete");
		out(g, ", \"id\": %u}", SOAK_XSLOT_ID);
		g->xslot = false;
		return;
	}
	unsigned f = pick(g, 4);

	step_begin(g, vcpu, "memslot_add");
	out(g, ", \"id\": %u, \"gpa\": \"0x%llx\", \"size\": \"0x%x\"%s}", SOAK_XSLOT_ID,
	    (unsigned long long)SOAK_XSLOT_GPA, SOAK_XSLOT_PAGES << 12,
	    f == 0   ? ", \"flags\": [\"readonly\"]"
	    : f == 1 ? ", \"flags\": [\"dirty_log\"]"
		     : "");
	g->xslot = true;
}

/* One access in SMM: paging off (va = gpa), CPL 0, address space 1. Writes go to
 * SMRAM, low data pages (never the save area) and the gaps, never to a page
 * table (an SMM write through the alias is not write-tracked in as 0's slot). */
static void gen_smm_access(struct soak_gen *g, unsigned vcpu)
{
	static const char *const kinds[] = {"read", "write", "fetch"};
	unsigned z = pick(g, 4), kind = pick(g, 3);
	u64 gpa;

	switch (z) {
	case 0: /* SMRAM: 0xa0000..0xbffff, only in address space 1 */
		gpa = 0xa0000 + ((u64)pick(g, 32) << 12);
		break;
	case 1: /* low RAM below SMRAM */
		gpa = 0x10000 + ((u64)pick(g, 0x90) << 12);
		if (gpa == SOAK_SMRAM_SAVE_PAGE)
			gpa -= 0x1000;
		break;
	case 2: /* RAM above SMRAM, page tables included: read or fetch only */
		gpa = 0xc0000 + ((u64)pick(g, 0x740) << 12);
		if (kind == 1)
			kind = 0;
		break;
	default: /* the gap or the extra slot */
		gpa = pick(g, 2) ? SOAK_GAP_GPA + ((u64)pick(g, 16) << 12)
				 : SOAK_XSLOT_GPA + ((u64)pick(g, SOAK_XSLOT_PAGES) << 12);
		break;
	}
	gpa += (u64)pick(g, 512) * 8;
	step_begin(g, vcpu, "access");
	out(g, ", \"va\": \"0x%llx\", \"kind\": \"%s\", \"size\": 8, \"cpl\": 0}",
	    (unsigned long long)gpa, kinds[kind]);
}

/*
 * smi, a few steps in SMM, rsm, all in a row: the vCPU's own steps in SMM are
 * accesses, TLB flushes, zaps and (extension) pre_fault and memslot changes;
 * another vCPU may run normal-mode accesses in between. The SMI comes from
 * whatever 64-bit state the vCPU has; RSM restores it.
 */
static void gen_smm(struct soak_gen *g, unsigned vcpu)
{
	unsigned n = 1 + pick(g, 6);

	step_begin(g, vcpu, "smi");
	out(g, "}");
	for (unsigned j = 0; j < n; j++) {
		unsigned y = pick(g, 10);

		if (y < 6) {
			gen_smm_access(g, vcpu);
		} else if (y < 7) {
			step_begin(g, vcpu, pick(g, 2) ? "flush_tlb" : "zap_all");
			out(g, "}");
		} else if (y < 8 && g->o.ext) {
			gen_pre_fault(g, vcpu);
		} else if (y < 9 && g->o.ext) {
			gen_memslot(g, vcpu);
		} else if (g->nvcpus > 1) {
			gen_access(g, (vcpu + 1 + pick(g, g->nvcpus - 1)) % g->nvcpus);
		} else {
			gen_smm_access(g, vcpu);
		}
	}
	step_begin(g, vcpu, "rsm");
	out(g, "}");
}

/* ---- --nested ---- */

static bool soak_tdp(const struct soak_gen *g)
{
	return g->o.machine != SOAK_SHADOW;
}

static bool soak_amd(const struct soak_gen *g)
{
	return g->o.machine == SOAK_NPT || g->o.machine == SOAK_NPT_TDP_MMU;
}

static u64 nest_root(unsigned r)
{
	return 0x5000ULL + 0x1000ULL * r;
}

static u64 nest_gpa_b(unsigned j)
{
	return 0x200000ULL + (u64)j * 0x1000;
}

/* L1's leaf rights for L2: mostly all, else read-only, no exec, exec-only or
 * not-user (NPT), A/D preset, or an uncached memory type (EPT). */
static const char *nest_flags(struct soak_gen *g)
{
	static const char *const ept[] = {
		"R|W|X|MT=WB", "R|W|X|MT=WB", "R|W|X|MT=WB",	 "R|X|MT=WB",	"R|MT=WB",
		"R|W|MT=WB",   "X|MT=WB",     "R|W|X|MT=WB|A|D", "R|W|X|MT=UC", "R|W|X|IPAT|MT=WB",
	};
	static const char *const npt[] = {
		"P|W|U", "P|W|U", "P|W|U", "P|U", "P|W|U|NX", "P|W", "P|W|U|A|D", "P|U|NX",
	};

	if (soak_amd(g))
		return npt[pick(g, MSC_ARRAY_SIZE(npt))];
	return ept[pick(g, MSC_ARRAY_SIZE(ept))];
}

static const char *nest_fmt(const struct soak_gen *g)
{
	return soak_amd(g) ? "4level" : "ept4";
}

static void nest_map(struct soak_gen *g, unsigned vcpu, unsigned r, u64 gpa, u64 pa, bool big,
		     const char *flags, bool guest)
{
	step_begin(g, vcpu, "map");
	out(g, ", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", \"pa\": \"0x%llx\"",
	    nest_fmt(g), (unsigned long long)nest_root(r), (unsigned long long)gpa,
	    (unsigned long long)pa);
	if (big)
		out(g, ", \"size\": \"2m\"");
	out(g, ", \"flags\": \"%s\"%s}", flags, guest ? ", \"mode\": \"guest\"" : "");
}

/* The set-up's EPT/NPT tables (host writes, before anything runs). */
static void gen_nest_setup(struct soak_gen *g)
{
	static const u64 ident[] = {0x400000ULL, 0x600000ULL, SOAK_GAP_GPA, SOAK_XSLOT_GPA,
				    SOAK_HIGH_GPA};
	const char *all = soak_amd(g) ? "P|W|U" : "R|W|X|MT=WB";

	for (unsigned r = 0; r < SOAK_NEST_ROOTS; r++) {
		nest_map(g, 0, r, 0, 0, true, all, false);
		g->na_map[r] = true;
		for (size_t k = 0; k < MSC_ARRAY_SIZE(ident); k++)
			nest_map(g, 0, r, ident[k], ident[k], true, all, false);
		nest_map(g, 0, r, nest_gpa_b(0), nest_gpa_b(0), false, all, false);
		g->nb_map[r][0] |= 1;
		for (unsigned k = 0; k < SOAK_NEST_SETUP; k++) {
			unsigned j = pick(g, SOAK_NEST_NB);

			nest_map(g, 0, r, nest_gpa_b(j), pa4k(g), false, nest_flags(g), false);
			g->nb_map[r][j / 64] |= BIT_ULL(j % 64);
		}
	}
}

/* L1 edits its EPT/NPT tables (guest writes: trapped and emulated, or unsync). */
static void gen_nest_edit(struct soak_gen *g, unsigned vcpu)
{
	unsigned r = pick(g, SOAK_NEST_ROOTS), k = pick(g, 20), j = pick(g, SOAK_NEST_NB);
	bool present = g->nb_map[r][j / 64] & BIT_ULL(j % 64);
	u64 val;

	if (k < 2) {
		/* Region A (L2's roots and low data): new rights, or gone for a while. */
		if (g->na_map[r] && !pick(g, 4)) {
			step_begin(g, vcpu, "unmap");
			out(g,
			    ", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": \"0x0\", "
			    "\"mode\": \"guest\"}",
			    nest_fmt(g), (unsigned long long)nest_root(r));
			g->na_map[r] = false;
			return;
		}
		nest_map(g, vcpu, r, 0, 0, true,
			 pick(g, 2) ? (soak_amd(g) ? "P|W|U" : "R|W|X|MT=WB") : nest_flags(g),
			 true);
		g->na_map[r] = true;
		return;
	}
	if (k < 5 && present) {
		step_begin(g, vcpu, "unmap");
		out(g,
		    ", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"mode\": \"guest\"}",
		    nest_fmt(g), (unsigned long long)nest_root(r),
		    (unsigned long long)nest_gpa_b(j));
		g->nb_map[r][j / 64] &= ~BIT_ULL(j % 64);
		return;
	}
	if (k < 9) {
		/* A raw leaf: random rights (EPT: W without R and reserved memory
		 * types are misconfigurations), memory type, A/D and IPAT. */
		val = rnd(g);
		if (soak_amd(g)) {
			val = (val & 0x67) | (val & 0x100 ? BIT_ULL(63) : 0);
			present = val & 1;
		} else {
			val = (val & 0x347) | ((val & 0x80) ? (val & 0x38) : 0x30);
			present = val & 7;
		}
		step_begin(g, vcpu, "set_entry");
		out(g,
		    ", \"format\": \"%s\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", \"level\": 1, "
		    "\"value\": \"0x%llx\", \"mode\": \"guest\"}",
		    nest_fmt(g), (unsigned long long)nest_root(r),
		    (unsigned long long)nest_gpa_b(j), (unsigned long long)(pa4k(g) | val));
		if (present)
			g->nb_map[r][j / 64] |= BIT_ULL(j % 64);
		else
			g->nb_map[r][j / 64] &= ~BIT_ULL(j % 64);
		return;
	}
	nest_map(g, vcpu, r, nest_gpa_b(j), pa4k(g), false, nest_flags(g), true);
	g->nb_map[r][j / 64] |= BIT_ULL(j % 64);
}

/* L1 enters L2 (L2 runs one of L1's address spaces, in long mode), or L2 exits. */
static void gen_nest_transition(struct soak_gen *g, unsigned vcpu)
{
	static const char *const cr4s[] = {"PAE", "PAE", "PAE|SMEP", "PAE|SMAP", "PAE|SMEP|SMAP"};
	unsigned r = pick(g, SOAK_NEST_ROOTS), id = pick(g, 4), t = pick(g, 5);
	bool tdp = soak_tdp(g) && t;

	if (g->in_l2[vcpu]) {
		step_begin(g, vcpu, "vmexit");
		out(g, "}");
		g->in_l2[vcpu] = false;
		return;
	}
	step_begin(g, vcpu, "vmentry");
	if (soak_amd(g))
		out(g, ", \"svm\": {\"ncr3\": \"0x%llx\", \"asid\": %u, \"npt\": %s}",
		    (unsigned long long)(tdp ? nest_root(r) : 0), 1 + id % 3,
		    tdp ? "true" : "false");
	else if (tdp)
		/* WB, 4 levels, A/D on in one entry of two. */
		out(g, ", \"vmx\": {\"eptp\": \"0x%llx\", \"vpid\": %u}",
		    (unsigned long long)(nest_root(r) | (t & 1 ? 0x5e : 0x1e)), id);
	else
		out(g, ", \"vmx\": {\"vpid\": %u}", id);
	out(g,
	    ", \"l2\": {\"cr0\": \"%s\", \"cr4\": \"%s\", \"efer\": \"LME|NXE\", \"cr3\": "
	    "\"0x%llx\", \"cs_l\": 1}}",
	    pick(g, 3) ? "PE|PG|WP" : "PE|PG", cr4s[pick(g, MSC_ARRAY_SIZE(cr4s))],
	    (unsigned long long)root_of(pick(g, g->nas)));
	g->in_l2[vcpu] = true;
}

/* The extension's share of the steps (only with --machine other than shadow,
 * --pre-fault or --smm, so that the default stream is today's). */
static bool gen_ext_step(struct soak_gen *g, unsigned vcpu)
{
	unsigned x = pick(g, 100);

	if (g->o.ext && x < 4)
		gen_pre_fault(g, vcpu);
	else if (g->o.ext && x < 6)
		gen_memslot(g, vcpu);
	else if (g->o.smm && x >= 6 && x < 8 && g->in_l2[vcpu])
		gen_nest_transition(g, vcpu); /* no SMI in L2: vmexit first */
	else if (g->o.smm && x >= 6 && x < 8)
		gen_smm(g, vcpu);
	else if (g->o.nested && x >= 8 && x < 12)
		gen_nest_transition(g, vcpu);
	else if (g->o.nested && soak_tdp(g) && x >= 12 && x < 19)
		gen_nest_edit(g, vcpu);
	else
		return false;
	return true;
}

static void gen_step(struct soak_gen *g)
{
	unsigned vcpu = pick(g, g->nvcpus), r;

	if ((g->o.ext || g->o.smm || g->o.nested) && gen_ext_step(g, vcpu))
		return;
	r = pick(g, 100);
	if (r < 16) {
		gen_map(g, vcpu);
	} else if (r < 26) {
		gen_unmap_or_set_entry(g, vcpu);
	} else if (r < 32) {
		step_begin(g, vcpu, "set");
		out(g, ", \"cr3\": \"0x%llx\"}", (unsigned long long)root_of(pick(g, g->nas)));
	} else if (r < 35) {
		step_begin(g, vcpu, "set");
		out(g, ", \"cr0\": \"%s\"}", pick(g, 2) ? "PE|PG|WP" : "PE|PG");
	} else if (r < 38) {
		static const char *const cr4s[] = {"PAE", "PAE|SMEP", "PAE|SMAP", "PAE|SMEP|SMAP"};

		step_begin(g, vcpu, "set");
		out(g, ", \"cr4\": \"%s\"}", cr4s[pick(g, 4)]);
	} else if (r < 40) {
		step_begin(g, vcpu, "set");
		out(g, ", \"rflags\": \"%s\"}", pick(g, 2) ? "FIXED|AC" : "FIXED");
	} else if (r < 82) {
		gen_access(g, vcpu);
	} else if (r < 88) {
		gen_pt_poke(g, vcpu);
	} else if (r < 94) {
		step_begin(g, vcpu, "invlpg");
		out(g, ", \"va\": \"0x%llx\"}", (unsigned long long)va4k(pick(g, SOAK_NVA4K)));
	} else if (r < 98) {
		step_begin(g, vcpu, "flush_tlb");
		out(g, "}");
	} else {
		step_begin(g, vcpu, "zap_all");
		out(g, "}");
	}
}

/* The machine object's memslots: one 8 MiB slot, or with --smm the layout of
 * scenarios/mmu/14-smm.json (an SMRAM hole at 0xa0000 in address space 0;
 * address space 1 aliases RAM and adds SMRAM). */
static void gen_memslots(struct soak_gen *g)
{
	if (!g->o.smm) {
		out(g, "    \"memslots\": [{\"gpa\": \"0x0\", \"size\": \"0x800000\"}],\n");
		return;
	}
	out(g, "    \"memslots\": [\n"
	       "      {\"as\": 0, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0xa0000\"},\n"
	       "      {\"as\": 0, \"id\": 1, \"gpa\": \"0xc0000\", \"size\": \"0x740000\"},\n"
	       "      {\"as\": 1, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0xa0000\", "
	       "\"alias\": {\"as\": 0, \"id\": 0}},\n"
	       "      {\"as\": 1, \"id\": 1, \"gpa\": \"0xa0000\", \"size\": \"0x20000\"},\n"
	       "      {\"as\": 1, \"id\": 2, \"gpa\": \"0xc0000\", \"size\": \"0x740000\", "
	       "\"alias\": {\"as\": 0, \"id\": 1}}\n    ],\n");
}

/* The scenario text of (@seed, @steps, @nvcpus, @o); NULL when out of memory. */
static char *soak_generate(u64 seed, u32 steps, unsigned nvcpus, const struct soak_opts *o,
			   size_t *len)
{
	struct soak_gen g;
	const enum soak_machine m = o->machine;

	memset(&g, 0, sizeof(g));
	g.o = *o;
	g.x = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (!g.x)
		g.x = 1;
	g.nvcpus = nvcpus;
	g.nas = 2 + pick(&g, 3);
	out(&g, "{\n  \"version\": 1,\n  \"name\": \"soak seed %llu", (unsigned long long)seed);
	if (m != SOAK_SHADOW || o->ext || o->smm || o->nested)
		out(&g, " %s%s%s%s", soak_machine_names[m],
		    o->ext && m == SOAK_SHADOW ? " pre-fault" : "", o->smm ? " smm" : "",
		    o->nested ? " nested" : "");
	out(&g, "\",\n  \"machine\": {\n");
	if (m == SOAK_NPT || m == SOAK_NPT_TDP_MMU)
		out(&g, "    \"vendor\": \"amd\",\n");
	/* Nested NPT: no LA57, so the host NPT is 4-level like L1's (as in
	 * scenarios/mmu/17-nested-npt.json). */
	if (o->nested && (m == SOAK_NPT || m == SOAK_NPT_TDP_MMU))
		out(&g, "    \"features\": [\"nx\", \"pse\", \"pse36\", \"pae\", \"pge\", \"1g\", "
			"\"lm\", \"smep\", \"smap\", \"pku\", \"pcid\", \"invpcid\", \"svm\", "
			"\"npt\"],\n");
	if (m != SOAK_SHADOW)
		out(&g, "    \"tdp\": \"%s\",\n    \"tdp_mmu\": %s,\n",
		    m == SOAK_EPT || m == SOAK_EPT_TDP_MMU ? "ept" : "npt",
		    m == SOAK_EPT_TDP_MMU || m == SOAK_NPT_TDP_MMU ? "true" : "false");
	gen_memslots(&g);
	out(&g,
	    "    \"pt_pool\": {\"as\": 0, \"gpa\": \"0x400000\", \"size\": \"0x400000\"}\n  },\n");
	out(&g, "  \"vcpus\": [");
	for (unsigned v = 0; v < nvcpus; v++)
		out(&g, "%s{}", v ? ", " : "");
	out(&g, "],\n  \"steps\": [\n    {\"op\": \"expect\"}");
	/* Every address space gets a first mapping (its tables), then long mode. */
	for (unsigned as = 0; as < g.nas; as++) {
		step_begin(&g, 0, "map");
		out(&g,
		    ", \"format\": \"4level\", \"root\": \"0x%llx\", \"va\": \"0x%llx\", "
		    "\"pa\": \"0x10000\", \"flags\": \"P|W|U|A|D\"}",
		    (unsigned long long)root_of(as), (unsigned long long)va4k(0));
		g.mapped4k[as] |= 1;
		g.built4k[as] |= 1;
	}
	if (o->nested && m != SOAK_SHADOW)
		gen_nest_setup(&g);
	for (unsigned v = 0; v < nvcpus; v++) {
		step_begin(&g, v, "set");
		out(&g, ", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": "
			"\"0x1000\"}");
		step_begin(&g, v, "set");
		out(&g, ", \"cr0\": \"PE|PG|WP\", \"cs_l\": 1}");
	}
	for (u32 i = 0; i < steps; i++)
		gen_step(&g);
	out(&g, "\n  ]\n}\n");
	if (g.oom) {
		free(g.buf);
		return NULL;
	}
	*len = g.len;
	return g.buf;
}

struct soak_sink {
	u32 divergences, audit;
	u32 pf_ok, pf_partial, pf_enoent, pf_einval, pf_other; /* pre_fault results */
	u32 smm, memslot; /* SMM entries, memslot changes */
	/* --nested: VM entries (with nested EPT/NPT), exits reflected to L1, and
	 * the accesses whose outcome is an EPT violation / misconfiguration / #NPF */
	u32 entries, entries_tdp, reflected, ept_violation, ept_misconfig, npf;
	u32 first_step;
	bool any;
	bool verbose;
};

static void soak_sink_fn(void *ctx, const struct sim_event *ev)
{
	struct soak_sink *s = ctx;
	const char *t;

	if (ev->kind == SIM_EV_PRE_FAULT) {
		if (ev->u.pre_fault.ret == 0 && !ev->u.pre_fault.rem_size)
			s->pf_ok++;
		else if (ev->u.pre_fault.ret == 0)
			s->pf_partial++;
		else if (ev->u.pre_fault.ret == -2)
			s->pf_enoent++;
		else if (ev->u.pre_fault.ret == -22)
			s->pf_einval++;
		else
			s->pf_other++;
	}
	if (ev->kind == SIM_EV_SMM && ev->u.smm.what == SIM_SMM_TRANSITION && ev->u.smm.entering)
		s->smm++;
	if (ev->kind == SIM_EV_MEMSLOT)
		s->memslot++;
	if (ev->kind == SIM_EV_NESTED && ev->u.nested.entry) {
		s->entries++;
		s->entries_tdp += ev->u.nested.tdp;
	}
	if (ev->kind == SIM_EV_VMEXIT && ev->u.vmexit.reflect)
		s->reflected++;
	if (ev->kind == SIM_EV_ACCESS) {
		s->ept_violation += ev->u.access.fault == SCN_FAULT_EPT_VIOLATION;
		s->ept_misconfig += ev->u.access.fault == SCN_FAULT_EPT_MISCONFIG;
		s->npf += ev->u.access.fault == SCN_FAULT_NPF;
	}
	if (ev->kind != SIM_EV_DIVERGENCE)
		return;
	t = ev->u.divergence.text ? ev->u.divergence.text : "";
	if (!strncmp(t, "audit: ", 7))
		s->audit++;
	else
		s->divergences++;
	if (!s->any) {
		s->any = true;
		s->first_step = ev->step;
	}
	if (s->verbose || s->audit + s->divergences <= 20)
		printf("step %u vcpu %u: %s\n", ev->step, ev->vcpu, t);
}

/* What the run exercised: KVM's VM statistics and the vCPUs' summed. */
static void soak_print_stats(const struct sim *sim, unsigned nvcpus)
{
	static const char *const vm[] = {"mmu_shadow_zapped", "mmu_pte_write", "mmu_pde_zapped",
					 "mmu_flooded",	      "mmu_recycled",  "mmu_cache_miss"};
	static const char *const vcpu[] = {"pf_taken", "pf_fixed",	  "pf_emulate",
					   "pf_guest", "root_cache_hits", "invlpg"};
	u64 val, sum;

	printf("  vm:");
	for (size_t i = 0; i < MSC_ARRAY_SIZE(vm); i++)
		if (sim_kvm_stat(sim, 0, vm[i], &val))
			printf(" %s %llu", vm[i], (unsigned long long)val);
	printf("\n  vcpus:");
	for (size_t i = 0; i < MSC_ARRAY_SIZE(vcpu); i++) {
		sum = 0;
		for (unsigned v = 0; v < nvcpus; v++)
			if (sim_kvm_stat(sim, (u16)v, vcpu[i], &val))
				sum += val;
		printf(" %s %llu", vcpu[i], (unsigned long long)sum);
	}
	printf("\n");
}

/* What the extension exercised (not printed for the default shadow soak). */
static void soak_print_ext(const struct sim *sim, unsigned nvcpus, const struct soak_sink *s)
{
	static const char *const vcpu[] = {"pf_mmio_spte_created", "pf_spurious", "pf_fast"};
	u64 val, sum;

	printf("  ext:");
	if (sim_kvm_stat(sim, 0, "pages_4k", &val))
		printf(" pages_4k %llu", (unsigned long long)val);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(vcpu); i++) {
		sum = 0;
		for (unsigned v = 0; v < nvcpus; v++)
			if (sim_kvm_stat(sim, (u16)v, vcpu[i], &val))
				sum += val;
		printf(" %s %llu", vcpu[i], (unsigned long long)sum);
	}
	printf(" memslot_changes %u smm_entries %u\n", s->memslot, s->smm);
	printf("  pre_fault: ok %u partial %u enoent %u einval %u other %u\n", s->pf_ok,
	       s->pf_partial, s->pf_enoent, s->pf_einval, s->pf_other);
}

static int soak_usage(void)
{
	fprintf(stderr, "usage: mmuscope soak --seed S --steps N [--vcpus V] [--machine M] "
			"[--smm] [--pre-fault] [--nested] [--print] [--all]\n"
			"  M: shadow (default), ept, ept-tdp-mmu, npt, npt-tdp-mmu\n");
	return CLI_USAGE;
}

int cli_soak(int argc, char **argv)
{
	u32 seed = 0, steps = 0, nvcpus = 1;
	bool have_seed = false, have_steps = false, print = false;
	struct soak_sink sk = {0};
	struct soak_opts o = {0};
	char tag[64] = "";
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;
	char *text;
	size_t len = 0;
	int ret = CLI_FAIL, r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed")) {
			if (!cli_parse_u32(v, &seed))
				return soak_usage();
			have_seed = true;
			i++;
		} else if (!strcmp(a, "--steps")) {
			if (!cli_parse_u32(v, &steps))
				return soak_usage();
			have_steps = true;
			i++;
		} else if (!strcmp(a, "--vcpus")) {
			if (!cli_parse_u32(v, &nvcpus) || !nvcpus || nvcpus > 4)
				return soak_usage();
			i++;
		} else if (!strcmp(a, "--machine")) {
			size_t m = 0;

			while (v && m < MSC_ARRAY_SIZE(soak_machine_names) &&
			       strcmp(v, soak_machine_names[m]))
				m++;
			if (!v || m == MSC_ARRAY_SIZE(soak_machine_names))
				return soak_usage();
			o.machine = (enum soak_machine)m;
			i++;
		} else if (!strcmp(a, "--smm")) {
			o.smm = true;
		} else if (!strcmp(a, "--pre-fault")) {
			o.ext = true;
		} else if (!strcmp(a, "--nested")) {
			o.nested = true;
		} else if (!strcmp(a, "--print")) {
			print = true;
		} else if (!strcmp(a, "--all")) {
			sk.verbose = true;
		} else {
			fprintf(stderr, "mmuscope soak: unknown option '%s'\n", a);
			return soak_usage();
		}
	}
	if (!have_seed || !have_steps)
		return soak_usage();
	if (o.machine != SOAK_SHADOW)
		o.ext = true;
	if (o.machine != SOAK_SHADOW || o.ext || o.smm || o.nested)
		snprintf(tag, sizeof(tag), " (%s%s%s%s)", soak_machine_names[o.machine],
			 o.ext && o.machine == SOAK_SHADOW ? ", pre-fault" : "",
			 o.smm ? ", smm" : "", o.nested ? ", nested" : "");
	text = soak_generate(seed, steps, nvcpus, &o, &len);
	if (!text) {
		fprintf(stderr, "mmuscope soak: out of memory\n");
		return CLI_FAIL;
	}
	if (print) {
		fwrite(text, 1, len, stdout);
		free(text);
		return CLI_OK;
	}
	memset(&err, 0, sizeof(err));
	r = scn_load_buffer("soak", text, len, &s, &err);
	free(text);
	if (r) {
		cli_print_error(&err);
		return CLI_USAGE;
	}
	if (sim_create(&sim, &s, &err) || sim_add_sink(sim, soak_sink_fn, &sk)) {
		cli_print_error(&err);
		ret = CLI_USAGE;
		goto out;
	}
	sim_set_audit(sim, true);
	r = sim_run(sim, UINT32_MAX, &err);
	if (r < 0) {
		cli_print_error(&err);
		printf("soak seed %u%s: stopped at step %u by an engine error\n", seed, tag,
		       sim_steps_done(sim));
		goto out;
	}
	printf("soak seed %u%s: %u steps, %u divergences, %u audit violations", seed, tag,
	       sim_steps_done(sim), sk.divergences, sk.audit);
	if (sk.any)
		printf(" (first at step %u)", sk.first_step);
	printf("\n");
	soak_print_stats(sim, nvcpus);
	if (tag[0])
		soak_print_ext(sim, nvcpus, &sk);
	if (o.nested)
		printf("  nested: vmentry %u (nested tdp %u) reflected %u; L2 outcomes "
		       "ept_violation %u ept_misconfig %u npf %u\n",
		       sk.entries, sk.entries_tdp, sk.reflected, sk.ept_violation, sk.ept_misconfig,
		       sk.npf);
	ret = sk.any ? CLI_FAIL : CLI_OK;
out:
	if (sim)
		sim_destroy(sim);
	scn_free(&s);
	return ret;
}
