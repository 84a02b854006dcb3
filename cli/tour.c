/* SPDX-License-Identifier: MIT */
/*
 * mmuscope tour: a deterministic guided tour of the CPU model -- register writes
 * and their #GP rules, a walk in every paging mode, permission faults, A/D bits,
 * a two-dimensional EPT walk and the architectural TLB. `make demo` runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/err.h"
#include "cpu/features.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/regs.h"
#include "cpu/tlb.h"
#include "cpu/walk.h"

struct tour {
	struct cpu_features feat;
	struct gmem *m;
	struct tlb *tlb;
	struct cpu cpu;
	struct pt_bump bump;
	struct walk_gmem_ctx wctx;
	int failures;
};

static void section(const char *title)
{
	printf("\n== %s ==\n", title);
}

static void check(struct tour *t, bool ok, const char *what)
{
	if (!ok) {
		printf("  !! unexpected: %s\n", what);
		t->failures++;
	}
}

static void pf_bits(u64 ec, char *buf, size_t n)
{
	static const char *const names[] = {"P", "W", "U", "RSVD", "I/D", "PK"};
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(names); i++)
		if (ec & BIT_ULL(i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "|" : "",
						names[i]);
	if (!len)
		snprintf(buf, n, "-");
}

/* Print a register write and what the architecture said. */
static struct cpu_wr show_wr(const char *what, struct cpu_wr w)
{
	if (w.vector)
		printf("  %-34s -> #%s: %s\n", what, w.vector == X86_VEC_GP ? "GP" : "UD", w.rule);
	else
		printf("  %-34s -> ok\n", what);
	return w;
}

static void show_steps(const struct walk_ctx *ctx, const struct walk_result *r)
{
	char buf[200];

	for (u32 i = 0; i < r->nsteps; i++) {
		const struct walk_step *s = &r->steps[i];
		const struct walk_cfg *cfg = s->stage ? ctx->n : ctx->g;

		walk_decode_entry(cfg, s->level, s->pte, buf, sizeof(buf));
		printf("    %s L%u  entry @0x%llx = 0x%llx  %s%s\n", s->stage ? "ept  " : "guest",
		       s->level, (unsigned long long)s->pte_addr, (unsigned long long)s->pte, buf,
		       (s->flags & WALK_STEP_PDPTR) ? "  (PDPTE register)" : "");
	}
}

/* Walk @va with the current registers and print the result. */
static bool tour_walk(struct tour *t, const struct walk_cfg *n, u64 va, enum walk_access acc,
		      u8 cpl, bool steps, struct walk_result *res)
{
	struct walk_cfg g;
	struct walk_ctx ctx = {.g = &g, .n = n};
	struct walk_req req = {
		.addr = va, .acc = acc, .cpl = cpl, .ac = (t->cpu.r.rflags & X86_RFLAGS_AC) != 0};
	char buf[64];

	walk_cfg_from_regs(&g, &t->cpu.r, &t->feat);
	walk_mem_gmem(&ctx.mem, &t->wctx);
	walk_translate(&ctx, &req, res);
	printf("  %s %s of 0x%llx at CPL%u:\n", walk_fmt_name(g.fmt), walk_acc_name(acc),
	       (unsigned long long)va, cpl);
	if (steps)
		show_steps(&ctx, res);
	if (res->ok) {
		printf("    -> gpa 0x%llx, %llu KiB page, rights %c%c%c, %u memory references\n",
		       (unsigned long long)res->gpa, (unsigned long long)(res->page_size >> 10),
		       (res->acc & ACC_USER) ? 'u' : '-', (res->acc & ACC_WRITE) ? 'w' : '-',
		       (res->acc & ACC_EXEC) ? 'x' : '-', res->refs);
	} else if (res->fault.kind == WALK_FAULT_PF) {
		pf_bits(res->fault.error_code, buf, sizeof(buf));
		printf("    -> #PF error code 0x%llx (%s), CR2 0x%llx\n       rule: %s\n",
		       (unsigned long long)res->fault.error_code, buf,
		       (unsigned long long)res->fault.cr2, res->fault.rule);
	} else if (res->fault.kind == WALK_FAULT_EPT_VIOLATION) {
		printf("    -> EPT violation, qualification 0x%llx, gpa 0x%llx after %u "
		       "references\n"
		       "       rule: %s\n",
		       (unsigned long long)res->fault.exit_qual, (unsigned long long)res->fault.gpa,
		       res->refs, res->fault.rule);
	} else if (res->fault.kind == WALK_FAULT_GP) {
		printf("    -> #GP(0)\n       rule: %s\n", res->fault.rule);
	} else {
		printf("    -> fault kind %d vector %u\n       rule: %s\n", res->fault.kind,
		       res->fault.vector, res->fault.rule);
	}
	return res->ok;
}

static int tour_setup(struct tour *t)
{
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = 64ULL << 20};

	memset(t, 0, sizeof(*t));
	cpu_features_default(&t->feat, CPU_VENDOR_INTEL);
	if (gmem_create(&t->m, 0) || gmem_slot_add(t->m, &d) || tlb_create(&t->tlb))
		return -1;
	t->cpu.feat = &t->feat;
	t->cpu.mem = t->m;
	t->cpu.tlb = t->tlb;
	cpu_reset(&t->cpu);
	t->bump = (struct pt_bump){.m = t->m, .as = 0, .next = 0x100000, .end = 0x800000};
	t->wctx = (struct walk_gmem_ctx){.m = t->m, .as = 0};
	return 0;
}

static struct pt_builder builder(struct tour *t, enum walk_fmt fmt, u8 levels)
{
	struct pt_builder b = {.m = t->m,
			       .as = 0,
			       .fmt = fmt,
			       .levels = levels,
			       .upper_flags = pt_default_upper_flags(fmt),
			       .alloc = pt_bump_alloc,
			       .alloc_ctx = &t->bump};
	int r = pt_bump_alloc(&t->bump, &b.root);

	(void)r;
	return b;
}

static void tour_registers(struct tour *t)
{
	struct cpu *c = &t->cpu;

	section("1. Control registers: the architecture refuses some writes (#GP)");
	printf("  after reset: CR0=0x%llx (CD NW ET), paging off\n", (unsigned long long)c->r.cr0);
	check(t, show_wr("CR0 = PG (paging without PE)", cpu_write_cr0(c, X86_CR0_PG)).vector,
	      "PG without PE refused");
	check(t, show_wr("CR0 = NW (NW without CD)", cpu_write_cr0(c, X86_CR0_NW)).vector,
	      "NW without CD refused");
	check(t, !show_wr("CR0 = PE", cpu_write_cr0(c, X86_CR0_PE)).vector, "PE accepted");
	check(t, !show_wr("EFER = LME|NXE", cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE)).vector,
	      "EFER accepted");
	check(t,
	      show_wr("CR0 = PE|PG (long mode, CR4.PAE=0)",
		      cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG))
		      .vector,
	      "long mode without PAE refused");
	check(t,
	      show_wr("CR4 = PCIDE (outside IA-32e mode)", cpu_write_cr4(c, X86_CR4_PCIDE)).vector,
	      "PCIDE outside long mode refused");
	check(t, show_wr("CR3 = 0x1 << 50 (above MAXPHYADDR)", cpu_write_cr3(c, 1ULL << 50)).vector,
	      "CR3 reserved bits refused");
}

static void tour_modes(struct tour *t)
{
	struct cpu *c = &t->cpu;
	struct walk_result r;
	struct pt_builder b;
	int e = 0;

	section("2. 32-bit paging: a 4 KiB page and a 4 MiB PSE page (SDM 4.3)");
	b = builder(t, WALK_FMT_32, 2);
	e |= pt_map(&b, 0x00401000, 0x01000000, PAGE_SIZE, PT_P | PT_W | PT_U);
	e |= pt_map(&b, 0x00c00000, 0x01400000, 4ULL << 20, PT_P | PT_W);
	cpu_reset(c);
	cpu_write_cr3(c, b.root);
	cpu_write_cr4(c, X86_CR4_PSE);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	check(t, tour_walk(t, NULL, 0x00401234, WALK_ACC_READ, 3, true, &r) && r.gpa == 0x01000234,
	      "32-bit 4K");
	check(t, tour_walk(t, NULL, 0x00c12345, WALK_ACC_WRITE, 0, true, &r) && r.gpa == 0x01412345,
	      "32-bit 4M");

	section("3. PAE paging: the PDPTEs are registers loaded at CR3 write (SDM 4.4)");
	b = builder(t, WALK_FMT_PAE, 3);
	e |= pt_map(&b, 0xc0001000, 0x01001000, PAGE_SIZE, PT_P | PT_W);
	e |= pt_map(&b, 0x40200000, 0x01200000, 2ULL << 20, PT_P);
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE);
	cpu_write_cr3(c, b.root);
	show_wr("CR0 = PE|PG|WP (loads 4 PDPTEs)",
		cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP));
	check(t, tour_walk(t, NULL, 0xc0001abc, WALK_ACC_READ, 0, true, &r) && r.gpa == 0x01001abc,
	      "PAE 4K");
	check(t, tour_walk(t, NULL, 0x40312345, WALK_ACC_READ, 0, false, &r) && r.gpa == 0x01312345,
	      "PAE 2M");

	section("4. 4-level paging: 4 KiB, 2 MiB and 1 GiB pages (SDM 4.5)");
	b = builder(t, WALK_FMT_4LVL, 4);
	e |= pt_map(&b, 0x00007f0000001000ULL, 0x01002000, PAGE_SIZE, PT_P | PT_W | PT_U);
	e |= pt_map(&b, 0x00007f0000200000ULL, 0x01200000, 2ULL << 20, PT_P | PT_W | PT_U);
	e |= pt_map(&b, 0xffff800000000000ULL, 0x00000000, 1ULL << 30, PT_P | PT_W);
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE | X86_CR4_PGE | X86_CR4_SMEP | X86_CR4_SMAP);
	cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE);
	cpu_write_cr3(c, b.root);
	show_wr("CR0 = PE|PG|WP (EFER.LMA becomes 1)",
		cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP));
	check(t,
	      tour_walk(t, NULL, 0x00007f0000001008ULL, WALK_ACC_WRITE, 3, true, &r) &&
		      r.gpa == 0x01002008,
	      "4-level 4K");
	check(t,
	      tour_walk(t, NULL, 0x00007f0000234567ULL, WALK_ACC_READ, 3, false, &r) &&
		      r.page_size == (2ULL << 20),
	      "4-level 2M");
	check(t,
	      tour_walk(t, NULL, 0xffff800000abcdefULL, WALK_ACC_READ, 0, false, &r) &&
		      r.gpa == 0xabcdef,
	      "4-level 1G");
	printf("  a non-canonical address never reaches the tables:\n");
	check(t,
	      !tour_walk(t, NULL, 0x0000800000000000ULL, WALK_ACC_READ, 0, false, &r) &&
		      r.fault.kind == WALK_FAULT_GP,
	      "non-canonical #GP");

	section("5. 5-level paging: one more level, 57-bit addresses");
	b = builder(t, WALK_FMT_5LVL, 5);
	e |= pt_map(&b, 0x00ff000000003000ULL, 0x01003000, PAGE_SIZE, PT_P | PT_W);
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE | X86_CR4_LA57);
	cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE);
	cpu_write_cr3(c, b.root);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	check(t,
	      tour_walk(t, NULL, 0x00ff000000003010ULL, WALK_ACC_READ, 0, true, &r) && r.refs == 5,
	      "5-level");
	check(t,
	      show_wr("CR4 = PAE (clear LA57 in long mode)", cpu_write_cr4(c, X86_CR4_PAE)).vector,
	      "LA57 toggle refused");
	check(t, e == 0, "page tables built");
}

static void tour_faults(struct tour *t)
{
	struct cpu *c = &t->cpu;
	struct walk_result r;
	struct pt_builder b = builder(t, WALK_FMT_4LVL, 4);
	u64 pte = 0;
	int e = 0;

	section("6. Permissions: who may touch what (SDM 4.6)");
	e |= pt_map(&b, 0x400000, 0x01100000, PAGE_SIZE, PT_P | PT_U); /* user, read-only */
	e |= pt_map(&b, 0x401000, 0x01101000, PAGE_SIZE, PT_P | PT_W | PT_U); /* user data */
	e |= pt_map(&b, 0x402000, 0x01102000, PAGE_SIZE,
		    PT_P | PT_W | PT_U | (1ULL << PT_PKEY_SHIFT)); /* user, key 1 */
	e |= pt_map(&b, 0x403000, 0x01103000, PAGE_SIZE, PT_P | PT_W | BIT_ULL(51)); /* reserved */
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE);
	cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE);
	cpu_write_cr3(c, b.root);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	cpu_write_pkru(c, 0x4); /* key 1: access disabled */

	check(t,
	      !tour_walk(t, NULL, 0x400000, WALK_ACC_WRITE, 3, false, &r) &&
		      r.fault.error_code == 0x7,
	      "user write to read-only page");
	printf("  a supervisor write with RFLAGS.AC=1 (SMAP overridden) meets CR0.WP=1:\n");
	cpu_write_rflags(c, X86_RFLAGS_FIXED | X86_RFLAGS_AC);
	check(t,
	      !tour_walk(t, NULL, 0x400000, WALK_ACC_WRITE, 0, false, &r) &&
		      r.fault.error_code == 0x3,
	      "WP=1 supervisor write");
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG);
	printf("  with CR0.WP=0 a supervisor write ignores R/W:\n");
	check(t, tour_walk(t, NULL, 0x400000, WALK_ACC_WRITE, 0, false, &r),
	      "WP=0 write with AC=1");
	printf("  ... but with RFLAGS.AC=0, SMAP still guards user pages:\n");
	cpu_write_rflags(c, X86_RFLAGS_FIXED);
	check(t, !tour_walk(t, NULL, 0x400000, WALK_ACC_WRITE, 0, false, &r), "SMAP write AC=0");
	cpu_write_rflags(c, X86_RFLAGS_FIXED);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	check(t,
	      !tour_walk(t, NULL, 0x401000, WALK_ACC_FETCH, 0, false, &r) &&
		      r.fault.error_code == 0x11,
	      "SMEP fetch");
	check(t,
	      !tour_walk(t, NULL, 0x402000, WALK_ACC_READ, 3, false, &r) &&
		      (r.fault.error_code & PFERR_PK),
	      "PKU access-disable");
	check(t,
	      !tour_walk(t, NULL, 0x403000, WALK_ACC_READ, 0, false, &r) &&
		      (r.fault.error_code & PFERR_RSVD),
	      "reserved bit");

	section("7. Accessed and dirty bits are written after every check passed (SDM 4.8)");
	e |= pt_get_entry(&b, 0x401000, 1, &pte);
	printf("  PTE before: 0x%llx\n", (unsigned long long)pte);
	check(t, tour_walk(t, NULL, 0x401000, WALK_ACC_READ, 3, false, &r), "read");
	e |= pt_get_entry(&b, 0x401000, 1, &pte);
	printf("  PTE after a read:  0x%llx (A)\n", (unsigned long long)pte);
	check(t, tour_walk(t, NULL, 0x401000, WALK_ACC_WRITE, 3, false, &r), "write");
	e |= pt_get_entry(&b, 0x401000, 1, &pte);
	printf("  PTE after a write: 0x%llx (A|D)\n", (unsigned long long)pte);
	check(t, (pte & (PT_A | PT_D)) == (PT_A | PT_D), "A and D set");
	check(t, e == 0, "page tables built");
}

static void tour_nested(struct tour *t)
{
	struct cpu *c = &t->cpu;
	struct walk_result r;
	struct pt_builder g = builder(t, WALK_FMT_4LVL, 4);
	struct pt_builder ept = builder(t, WALK_FMT_EPT, 4);
	struct walk_cfg n;
	u64 pa;
	int e = 0;

	section("8. Nested paging: a 4-level guest over 4-level EPT is a 24-reference walk");
	e |= pt_map(&g, 0x600000, 0x01200000, PAGE_SIZE, PT_P | PT_W);
	/* EPT identity map of the guest's table pages and data, 4 KiB at a time. */
	for (pa = 0x100000; pa < t->bump.next; pa += PAGE_SIZE)
		e |= pt_map(&ept, pa, pa, PAGE_SIZE, EPT_R | EPT_W | EPT_X | EPT_MT_WB);
	e |= pt_map(&ept, 0x01200000, 0x01200000, PAGE_SIZE, EPT_R | EPT_MT_WB); /* read-only */
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE);
	cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE);
	cpu_write_cr3(c, g.root);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	walk_cfg_ept(&n, ept.root | (3u << 3) | 6u, &t->feat);
	check(t, tour_walk(t, &n, 0x600000, WALK_ACC_READ, 0, true, &r) && r.refs == 24,
	      "24 references");
	printf("  the same page written: the guest allows it, EPT does not:\n");
	check(t,
	      !tour_walk(t, &n, 0x600000, WALK_ACC_WRITE, 0, false, &r) &&
		      r.fault.kind == WALK_FAULT_EPT_VIOLATION,
	      "EPT violation");
	check(t, e == 0, "page tables built");
}

static void tour_tlb(struct tour *t)
{
	struct cpu *c = &t->cpu;
	struct walk_result r;
	struct walk_cfg cfg;
	struct walk_req req = {.addr = 0x700000, .acc = WALK_ACC_READ, .cpl = 0};
	struct tlb_outcome out[TLB_MAX_OUTCOMES];
	struct pt_builder b = builder(t, WALK_FMT_4LVL, 4);
	size_t n;
	int e = 0;

	section("9. The TLB: what the CPU may still use after an edit without INVLPG (SDM 4.10)");
	e |= pt_map(&b, 0x700000, 0x01300000, PAGE_SIZE, PT_P | PT_W);
	cpu_reset(c);
	cpu_write_cr0(c, X86_CR0_PE);
	cpu_write_cr4(c, X86_CR4_PAE);
	cpu_write_efer(c, X86_EFER_LME | X86_EFER_NXE);
	cpu_write_cr3(c, b.root);
	cpu_write_cr0(c, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	tour_walk(t, NULL, 0x700000, WALK_ACC_READ, 0, false, &r);
	tlb_insert(t->tlb, 0, cpu_pcid(&c->r), 0x700000, &r);
	e |= pt_map(&b, 0x700000, 0x01400000, PAGE_SIZE, PT_P | PT_W);
	printf("  remapped 0x700000 -> 0x1400000 in memory, no INVLPG:\n");
	tour_walk(t, NULL, 0x700000, WALK_ACC_READ, 0, false, &r);
	walk_cfg_from_regs(&cfg, &c->r, &t->feat);
	n = tlb_allowed_outcomes(t->tlb, 0, cpu_pcid(&c->r), &cfg, &req, &r, out);
	for (size_t i = 0; i < n; i++)
		printf("    allowed: gpa 0x%llx (%s)\n", (unsigned long long)out[i].gpa,
		       out[i].from_tlb ? "stale TLB entry" : "fresh walk");
	check(t, n == 2, "two allowed outcomes");
	tlb_invlpg(t->tlb, 0, cpu_pcid(&c->r), 0x700000);
	n = tlb_allowed_outcomes(t->tlb, 0, cpu_pcid(&c->r), &cfg, &req, &r, out);
	printf("  after INVLPG 0x700000: %zu allowed outcome (gpa 0x%llx)\n", n,
	       (unsigned long long)out[0].gpa);
	check(t, n == 1, "one outcome after INVLPG");
	check(t, e == 0, "page tables built");
}

int cli_tour(int argc, char **argv)
{
	struct tour t;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: mmuscope tour\n");
		return 2;
	}
	if (tour_setup(&t)) {
		fprintf(stderr, "mmuscope tour: cannot set up guest memory\n");
		return 1;
	}
	printf("mmuscope tour: the x86 CPU model, step by step\n");
	tour_registers(&t);
	tour_modes(&t);
	tour_faults(&t);
	tour_nested(&t);
	tour_tlb(&t);
	printf("\n%s\n", t.failures ? "tour: some steps did not behave as described"
				    : "tour: every step behaved as described");
	tlb_destroy(t.tlb);
	gmem_destroy(t.m);
	return t.failures ? 1 : 0;
}
