/* SPDX-License-Identifier: MIT */
/*
 * mmuscope explain FILE --step N: the teaching view of one step. The sim runs silently
 * to step N, then runs it with a sink that turns each event into plain sentences: the
 * registers in effect, entries written, the walk level by level, the fault and its
 * error code bit by bit, the TLB, and which expectations held.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/decode.h"
#include "cpu/mem.h"

#define MAX_FAILS 32

struct fail_copy {
	char what[64], expected[96], observed[96];
};

struct explain {
	const struct scenario *s;
	const struct scn_step *st;
	const struct sim *sim;
	struct walk_cfg pt_cfg; /* the format of a map/unmap/set_entry step, for decoding */
	bool saw_insn;
	unsigned shown; /* events explained */
	struct fail_copy fails[MAX_FAILS];
	unsigned nfails, lost_fails;
};

static const char *size_name(u64 size)
{
	switch (size) {
	case 4096:
		return "4 KiB";
	case 2ULL << 20:
		return "2 MiB";
	case 4ULL << 20:
		return "4 MiB";
	case 1ULL << 30:
		return "1 GiB";
	default:
		return "?";
	}
}

static const char *fault_words(enum scn_fault_kind f)
{
	switch (f) {
	case SCN_FAULT_NONE:
		return "no fault";
	case SCN_FAULT_PF:
		return "a page fault (#PF, vector 14)";
	case SCN_FAULT_GP:
		return "a general-protection fault (#GP, vector 13)";
	case SCN_FAULT_UD:
		return "an invalid-opcode fault (#UD, vector 6)";
	case SCN_FAULT_EPT_VIOLATION:
		return "an EPT violation (VM exit 48)";
	case SCN_FAULT_EPT_MISCONFIG:
		return "an EPT misconfiguration (VM exit 49)";
	case SCN_FAULT_NPF:
		return "a nested page fault (#VMEXIT(NPF))";
	}
	return "?";
}

/* Print @text wrapped at 80 columns: the first line starts with @first, the others
 * with as many spaces. */
static void print_wrapped(const char *first, const char *text)
{
	size_t col = 0, ind = strlen(first);
	bool started = false;

	while (*text) {
		size_t w = strcspn(text, " \n\t");

		if (w) {
			if (col && col + 1 + w > 80) {
				putchar('\n');
				col = 0;
			}
			if (!col) {
				printf("%*s", (int)ind, started ? "" : first);
				started = true;
				col = ind;
			} else {
				putchar(' ');
				col++;
			}
			fwrite(text, 1, w, stdout);
			col += w;
			text += w;
		}
		if (*text == '\n' && col) {
			putchar('\n');
			col = 0;
		}
		if (*text)
			text++;
	}
	if (col)
		putchar('\n');
}

static void rights(u8 acc, bool ept, char *buf, size_t n)
{
	if (ept)
		snprintf(buf, n, "%s, %s, %s", acc & ACC_USER ? "readable" : "not readable",
			 acc & ACC_WRITE ? "writable" : "read-only",
			 acc & ACC_EXEC ? "executable" : "not executable");
	else
		snprintf(buf, n, "%s, %s, %s", acc & ACC_USER ? "user" : "supervisor-only",
			 acc & ACC_WRITE ? "writable" : "read-only",
			 acc & ACC_EXEC ? "executable" : "not executable");
}

/* PKRU per key (SDM 4.6.2): bit 2k AD (access disable), bit 2k+1 WD (write disable). */
static void pkru_text(u32 pkru, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < 16 && len < n; k++) {
		unsigned bits = (pkru >> (2 * k)) & 3u;

		if (bits)
			len += (size_t)snprintf(buf + len, n - len, "%skey %u %s", len ? ", " : "",
						k,
						bits == 3   ? "AD WD"
						: bits == 1 ? "AD"
							    : "WD");
	}
}

/* "  NAME       0xVALUE     FLAGS" with the flag names only when some bit is set. */
static void reg_line(const char *name, enum scn_reg reg, u64 val)
{
	char buf[256];

	if (reg == SCN_REG_PKRU)
		pkru_text((u32)val, buf, sizeof(buf));
	else
		cli_reg_flags(reg, val, buf, sizeof(buf));
	if (val && buf[0] != '0')
		printf("  %-10s 0x%-10llx %s\n", name, (unsigned long long)val, buf);
	else
		printf("  %-10s 0x%llx\n", name, (unsigned long long)val);
}

/* The vCPU before the step: the registers paging depends on, decoded. */
static void print_regs(const struct cpu_regs *r, size_t tlb_entries)
{
	printf("  paging     %s (CR0.PG=%d CR4.PAE=%d EFER.LMA=%d CR4.LA57=%d)\n",
	       cli_paging_name(cpu_paging_mode(r)), !!(r->cr0 & X86_CR0_PG),
	       !!(r->cr4 & X86_CR4_PAE), !!(r->efer & X86_EFER_LMA), !!(r->cr4 & X86_CR4_LA57));
	reg_line("CR0", SCN_REG_CR0, r->cr0);
	if (r->cr4 & X86_CR4_PCIDE)
		printf("  CR3        0x%-10llx PCID %u\n", (unsigned long long)r->cr3, cpu_pcid(r));
	else
		printf("  CR3        0x%llx\n", (unsigned long long)r->cr3);
	reg_line("CR4", SCN_REG_CR4, r->cr4);
	reg_line("EFER", SCN_REG_EFER, r->efer);
	if (r->efer & X86_EFER_LMA)
		printf("  CS.L       %-12d %s\n", r->cs_l,
		       r->cs_l ? "64-bit mode" : "compatibility mode (32-bit code)");
	printf("  CPL        %-12u %s mode\n", r->cpl, r->cpl == 3 ? "user" : "supervisor");
	printf("  RFLAGS.AC  %-12d %s\n", !!(r->rflags & X86_RFLAGS_AC),
	       r->rflags & X86_RFLAGS_AC ? "SMAP is overridden for explicit accesses"
					 : "SMAP applies when CR4.SMAP=1");
	if (r->cr4 & X86_CR4_PKE)
		reg_line("PKRU", SCN_REG_PKRU, r->pkru);
	if (r->cr2)
		printf("  CR2        0x%llx\n", (unsigned long long)r->cr2);
	if (r->smm)
		printf("  SMM        yes: memory accesses use address space 1\n");
	if (r->guest_mode)
		printf("  guest mode yes: running L2\n");
	printf("  TLB        %zu %s\n", tlb_entries, tlb_entries == 1 ? "entry" : "entries");
}

/* A walk_cfg by hand for the tables a map/unmap/set_entry step edits. The CPU's
 * features decide the format's bits (XD is a flag when NX exists, not reserved). */
static void pt_cfg_build(struct walk_cfg *c, const struct scn_pt_ref *pt,
			 const struct cpu_features *f)
{
	memset(c, 0, sizeof(*c));
	c->vendor = f->vendor;
	c->maxphyaddr = f->maxphyaddr;
	c->root = pt->root;
	c->nxe = f->nx;
	c->pse = f->pse;
	c->pse36 = f->pse36;
	c->gbpages = f->gbpages;
	c->ept_execonly = f->ept.execonly;
	c->ept_ad = f->ept.ad;
	c->ept_2m = f->ept.huge_2m;
	c->ept_1g = f->ept.huge_1g;
	c->fmt = scn_fmt_walk(pt->fmt, &c->levels);
}

/* What a page-table step asks for, before the entries it writes. */
static void print_request(const struct explain *x)
{
	const struct scn_step *st = x->st;
	const char *fmt = walk_fmt_name(x->pt_cfg.fmt);
	unsigned long long root = st->u.pt.pt.root, va = st->u.pt.va;

	if (st->op == SCN_OP_MAP)
		printf("  map 0x%llx to 0x%llx in the %s tables at 0x%llx\n"
		       "    a %s page, leaf flags 0x%llx\n",
		       va, (unsigned long long)st->u.pt.pa, fmt, root, size_name(st->u.pt.size),
		       (unsigned long long)st->u.pt.flags);
	else if (st->op == SCN_OP_UNMAP)
		printf("  unmap 0x%llx in the %s tables at 0x%llx\n", va, fmt, root);
	else if (st->op == SCN_OP_SET_ENTRY)
		printf("  set the level %u entry of 0x%llx in the %s tables at 0x%llx to 0x%llx\n",
		       st->u.pt.level, va, fmt, root, (unsigned long long)st->u.pt.value);
	else
		return;
	if (st->u.pt.pt.as)
		printf("  (address space %u)\n", st->u.pt.pt.as);
	printf("    %s\n",
	       st->u.pt.mode == SCN_WRITE_GUEST
		       ? "as guest writes: they go through write protection of shadowed "
			 "tables"
		       : "as set-up writes: the host writes memory, nothing is trapped");
}

static void ev_reg(const struct sim_event *ev)
{
	const char *name = scn_reg_name(ev->u.reg.reg);
	char a[256];

	cli_reg_flags(ev->u.reg.reg, ev->u.reg.val, a, sizeof(a));
	if (ev->u.reg.vector) {
		bool named = a[0] != '0';

		printf("  write %s <- 0x%llx%s%s%s: refused with #%s\n", name,
		       (unsigned long long)ev->u.reg.val, named ? " (" : "", named ? a : "",
		       named ? ")" : "", ev->u.reg.vector == X86_VEC_UD ? "UD" : "GP");
		print_wrapped("    rule: ", ev->u.reg.rule ? ev->u.reg.rule : "(none given)");
		printf("    %s keeps 0x%llx\n", name, (unsigned long long)ev->u.reg.now);
		return;
	}
	printf("  write %s <- 0x%llx: accepted\n", name, (unsigned long long)ev->u.reg.val);
	reg_line("  before", ev->u.reg.reg, ev->u.reg.old);
	reg_line("  after", ev->u.reg.reg, ev->u.reg.now);
}

static void ev_pt(struct explain *x, const struct sim_event *ev)
{
	const struct walk_cfg *c = &x->pt_cfg;
	bool is_pt = x->st->op == SCN_OP_MAP || x->st->op == SCN_OP_UNMAP ||
		     x->st->op == SCN_OP_SET_ENTRY;
	u8 level = is_pt ? ev->u.pt.level : 0;
	char a[256], b[256];

	printf("  entry written at gpa 0x%llx", (unsigned long long)ev->u.pt.gpa);
	if (level)
		printf(" (level %u of %s)", level, walk_fmt_name(c->fmt));
	printf(", %s%s:\n", ev->u.pt.guest ? "a guest write" : "a set-up write",
	       ev->u.pt.dropped ? ", dropped: the memslot is read-only" : "");
	if (!is_pt || !level) {
		printf("    0x%llx -> 0x%llx\n", (unsigned long long)ev->u.pt.old,
		       (unsigned long long)ev->u.pt.val);
		return;
	}
	walk_decode_entry(c, level, ev->u.pt.old, b, sizeof(b));
	walk_decode_entry(c, level, ev->u.pt.val, a, sizeof(a));
	printf("    old 0x%-18llx %s\n", (unsigned long long)ev->u.pt.old, b);
	printf("    new 0x%-18llx %s\n", (unsigned long long)ev->u.pt.val, a);
}

static void ev_mem(const struct sim_event *ev, bool write)
{
	printf("  memory %s of %u %s at gpa 0x%llx (address space %u): 0x%llx%s\n",
	       write ? "write" : "read", ev->u.mem.size, ev->u.mem.size == 1 ? "byte" : "bytes",
	       (unsigned long long)ev->u.mem.gpa, ev->u.mem.as, (unsigned long long)ev->u.mem.val,
	       write && ev->u.mem.host ? ", by the host" : "");
	if (write && ev->u.mem.unbacked)
		printf("    dropped: no memslot backs this address\n");
	else if (write && ev->u.mem.dropped)
		printf("    dropped: the memslot is read-only for the guest\n");
}

static void ev_insn(struct explain *x, const struct sim_event *ev)
{
	x->saw_insn = true;
	printf("  instruction:");
	for (unsigned i = 0; i < ev->u.insn.len; i++)
		printf(" %02x", ev->u.insn.bytes[i]);
	printf("  %s  (%u-bit code", ev->u.insn.text ? ev->u.insn.text : "(bad)", ev->u.insn.bits);
	if (ev->u.insn.write_size)
		printf("; writes %u %s to memory", ev->u.insn.write_size,
		       ev->u.insn.write_size == 1 ? "byte" : "bytes");
	printf(")\n");
}

static void ev_walk(const struct sim_event *ev)
{
	const struct walk_req *req = ev->u.walk.req;
	const struct walk_result *res = ev->u.walk.res;
	const struct walk_cfg *g = ev->u.walk.g, *n = ev->u.walk.n;
	bool user = req->cpl == 3 && !req->implicit;
	char buf[256];

	printf("  page walk: %s %s of 0x%llx at CPL %u through %s tables at 0x%llx%s\n",
	       user ? "user" : "supervisor",
	       req->acc == WALK_ACC_WRITE   ? "write"
	       : req->acc == WALK_ACC_FETCH ? "fetch"
					    : "read",
	       (unsigned long long)req->addr, req->cpl, walk_fmt_name(g->fmt),
	       (unsigned long long)g->root, n ? " (nested)" : "");
	for (u32 i = 0; i < res->nsteps; i++) {
		const struct walk_step *s = &res->steps[i];
		const struct walk_cfg *c = s->stage ? n : g;

		walk_decode_entry(c, s->level, s->pte, buf, sizeof(buf));
		printf("    %sL%u @0x%-9llx = 0x%-16llx %s", s->stage ? "EPT/NPT " : "", s->level,
		       (unsigned long long)s->pte_addr, (unsigned long long)s->pte, buf);
		if (s->flags & WALK_STEP_PDPTR)
			printf("  (from the PDPTE register)");
		else if (s->pte_pa != s->pte_addr)
			printf("  (read at 0x%llx)", (unsigned long long)s->pte_pa);
		if (s->flags & WALK_STEP_AD_SET)
			printf("  (A/D set by this walk)");
		putchar('\n');
	}
	if (res->ok) {
		rights(res->acc, g->fmt == WALK_FMT_EPT, buf, sizeof(buf));
		printf("    -> physical 0x%llx, %s page, %s; %u memory %s\n",
		       (unsigned long long)res->gpa, size_name(res->page_size), buf, res->refs,
		       res->refs == 1 ? "reference" : "references");
	} else if (res->fault.level) {
		printf("    -> the walk stops at level %u of %s\n", res->fault.level,
		       res->fault.stage ? "the second stage" : "the guest tables");
	} else {
		printf("    -> the walk stops: the rights do not allow this access\n");
	}
}

static void ev_tlb(const struct sim_event *ev, bool hit)
{
	const struct tlb_entry *e = ev->u.tlb.e;
	char buf[128];

	rights(e->acc, false, buf, sizeof(buf));
	printf("  TLB %s: 0x%llx -> 0x%llx, %s page, VPID %u, PCID %u%s\n",
	       hit ? "hit, a cached translation is used" : "fill, the translation is cached",
	       (unsigned long long)e->va, (unsigned long long)e->pa, size_name(e->size), e->vpid,
	       e->pcid, e->global ? ", global" : "");
	printf("    rights %s\n", buf);
}

static void ev_flush(const struct sim_event *ev)
{
	printf("  TLB flush (%s", ev->u.flush.what ? ev->u.flush.what : "?");
	if (ev->u.flush.va)
		printf(", va 0x%llx", (unsigned long long)ev->u.flush.va);
	if (ev->u.flush.pcid)
		printf(", PCID %u", ev->u.flush.pcid);
	printf("): %zu %s dropped\n", ev->u.flush.dropped,
	       ev->u.flush.dropped == 1 ? "entry" : "entries");
}

struct bit_text {
	u8 bit;
	const char *name, *set, *clear;
};

/* SDM Vol. 3 4.7, Figure 4-12; APM Vol. 2 8.4.2 and 15.25.6 for #NPF's bits 32-33. */
static const struct bit_text pf_bits[] = {
	{0, "P", "the page was present: a protection violation", "the entry was not present"},
	{1, "W", "the access was a write", "the access was a read or a fetch"},
	{2, "U", "a user-mode access", "a supervisor-mode access"},
	{3, "RSVD", "a reserved bit was set in an entry", "no reserved bit was set"},
	{4, "I/D", "an instruction fetch", "not an instruction fetch"},
	{5, "PK", "a protection key forbade it", "no protection-key violation"},
};

static const struct bit_text npf_bits[] = {
	{32, "GUEST_FINAL", "while translating the final guest-physical address", NULL},
	{33, "GUEST_PAGE", "while translating a guest page-table address", NULL},
};

/* SDM Vol. 3 28.3.3.2, Table 28-7. */
static const struct bit_text ept_bits[] = {
	{0, "read", "the access was a read", NULL},
	{1, "write", "the access was a write", NULL},
	{2, "fetch", "the access was an instruction fetch", NULL},
	{3, "readable", "the EPT entries allow reads", "some EPT entry forbids reads"},
	{4, "writable", "the EPT entries allow writes", "some EPT entry forbids writes"},
	{5, "executable", "the EPT entries allow fetches", "some EPT entry forbids fetches"},
	{7, "GLA valid", "a guest linear address is known", "no guest linear address"},
	{8, "final", "translating the final address", "translating a guest page-table address"},
};

static void print_bits(const char *title, u64 val, const struct bit_text *t, size_t n)
{
	printf("    %s 0x%llx:\n", title, (unsigned long long)val);
	for (size_t i = 0; i < n; i++) {
		bool on = val & BIT_ULL(t[i].bit);
		const char *why = on ? t[i].set : t[i].clear;

		if (!why)
			continue;
		printf("      bit %-2u %-11s = %d: %s\n", t[i].bit, t[i].name, on, why);
	}
}

static void ev_access(const struct sim_event *ev)
{
#define a (&ev->u.access)
	bool user = a->cpl == 3 && !a->implicit;

	printf("  access: %s %s of %u %s at 0x%llx%s\n", user ? "user" : "supervisor",
	       scn_access_name(a->kind), a->size, a->size == 1 ? "byte" : "bytes",
	       (unsigned long long)a->va, a->implicit ? " (an implicit supervisor access)" : "");
	if (a->fault == SCN_FAULT_NONE) {
		printf("    completed: physical address 0x%llx, %s page",
		       (unsigned long long)a->gpa, size_name(a->page_size));
		if (a->kind != SCN_ACC_FETCH)
			printf(", value %s 0x%llx", a->kind == SCN_ACC_WRITE ? "written" : "read",
			       (unsigned long long)a->value);
		putchar('\n');
	} else {
		printf("    faulted with %s\n", fault_words(a->fault));
		if (a->rule)
			print_wrapped("    rule: ", a->rule);
	}
	switch (a->fault) {
	case SCN_FAULT_PF:
		print_bits("#PF error code", a->error_code, pf_bits, MSC_ARRAY_SIZE(pf_bits));
		printf("    CR2 = 0x%llx, the faulting linear address\n",
		       (unsigned long long)a->cr2);
		break;
	case SCN_FAULT_NPF:
		print_bits("#NPF EXITINFO1", a->error_code, pf_bits, MSC_ARRAY_SIZE(pf_bits));
		print_bits("  and", a->error_code, npf_bits, MSC_ARRAY_SIZE(npf_bits));
		printf("    EXITINFO2 = 0x%llx, the guest-physical address\n",
		       (unsigned long long)a->gpa);
		break;
	case SCN_FAULT_EPT_VIOLATION:
		print_bits("exit qualification", a->qual, ept_bits, MSC_ARRAY_SIZE(ept_bits));
		printf("    guest-physical address 0x%llx\n", (unsigned long long)a->gpa);
		break;
	case SCN_FAULT_EPT_MISCONFIG:
		printf("    guest-physical address 0x%llx\n", (unsigned long long)a->gpa);
		break;
	case SCN_FAULT_NONE:
	case SCN_FAULT_GP:
	case SCN_FAULT_UD:
		break;
	}
	printf("    served by %s\n", a->from_tlb ? "a translation cached in the TLB"
						 : "a page walk (no cached translation was used)");
	if (a->outcomes == 1)
		printf("    the architecture allowed 1 outcome: this one\n");
	else
		printf("    the architecture allowed %u outcomes: a fresh walk, or a translation\n"
		       "    the TLB may still hold (SDM 4.10.4)\n",
		       a->outcomes);
#undef a
}

static void ev_memslot(const struct sim_event *ev)
{
	const struct scn_memslot *m = ev->u.memslot.slot;
	const char *flags = "none";

	if ((m->flags & GMEM_SLOT_READONLY) && (m->flags & GMEM_SLOT_DIRTY_LOG))
		flags = "readonly, dirty_log";
	else if (m->flags & GMEM_SLOT_READONLY)
		flags = "readonly";
	else if (m->flags & GMEM_SLOT_DIRTY_LOG)
		flags = "dirty_log";
	printf("  memslot %s: address space %u, id %u", ev->u.memslot.what, m->as, m->id);
	if (strcmp(ev->u.memslot.what, "delete"))
		printf(", gpa 0x%llx, size 0x%llx, flags %s", (unsigned long long)m->gpa,
		       (unsigned long long)m->size, flags);
	putchar('\n');
}

/* A KVM MMU event: its kvmmmu trace line (roots switched, loaded, freed, zapped). */
static void ev_mmu(const struct sim_event *ev)
{
	char line[512];

	line[0] = '\0';
	if (ev->u.mmu.ev)
		mmu_event_format(ev->u.mmu.ev, line, sizeof(line));
	print_wrapped("  kvm mmu: ", line);
}

/* SMM entry/exit: the event's own trace line, after its name. */
static void ev_smm(const struct sim_event *ev)
{
	char line[256];
	const char *p;

	line[0] = '\0';
	sim_event_format(ev, line, sizeof(line));
	p = strstr(line, ": ");
	print_wrapped("  smm: ", p ? p + 2 : line);
}

static void explain_sink(void *ctx, const struct sim_event *ev)
{
	struct explain *x = ctx;
	struct fail_copy *f;

	if (ev->kind != SIM_EV_STEP && ev->kind != SIM_EV_EXPECT_FAIL)
		x->shown++;
	switch (ev->kind) {
	case SIM_EV_STEP:
		break; /* the header said it */
	case SIM_EV_REG_WRITE:
		ev_reg(ev);
		break;
	case SIM_EV_PT_WRITE:
		ev_pt(x, ev);
		break;
	case SIM_EV_MEM_WRITE:
	case SIM_EV_MEM_READ:
		ev_mem(ev, ev->kind == SIM_EV_MEM_WRITE);
		break;
	case SIM_EV_INSN:
		ev_insn(x, ev);
		break;
	case SIM_EV_WALK:
		ev_walk(ev);
		break;
	case SIM_EV_TLB_HIT:
	case SIM_EV_TLB_FILL:
		ev_tlb(ev, ev->kind == SIM_EV_TLB_HIT);
		break;
	case SIM_EV_TLB_FLUSH:
		ev_flush(ev);
		break;
	case SIM_EV_ACCESS:
		ev_access(ev);
		break;
	case SIM_EV_MEMSLOT:
		ev_memslot(ev);
		break;
	case SIM_EV_EXPECT_FAIL:
		if (x->nfails == MAX_FAILS) {
			x->lost_fails++;
			break;
		}
		f = &x->fails[x->nfails++];
		snprintf(f->what, sizeof(f->what), "%s", ev->u.fail.what);
		snprintf(f->expected, sizeof(f->expected), "%s", ev->u.fail.expected);
		snprintf(f->observed, sizeof(f->observed), "%s", ev->u.fail.observed);
		break;
	case SIM_EV_DIVERGENCE:
		print_wrapped("  divergence: ", ev->u.divergence.text);
		break;
	case SIM_EV_VMEXIT:
		break; /* the MMU's own events tell the fault */
	case SIM_EV_PRE_FAULT:
		break; /* the step's expectations (ret, remaining) tell the result */
	case SIM_EV_MMU:
		ev_mmu(ev);
		break;
	case SIM_EV_SMM:
		ev_smm(ev);
		break;
	case SIM_EV_NESTED:
		printf("  %s\n", ev->u.nested.entry ? "L1 enters L2 (nested VM-entry)"
						    : "L2 exits to L1 (nested VM-exit)");
		break;
	}
	/* Each new SIM_EV_* is a compile error here (-Wswitch-enum) until explained. */
}

/* One expectation of the step, as the file gives it. */
struct expect_item {
	const char *key; /* the name the engine reports a failure under */
	char label[48]; /* the name in the file */
	char val[160]; /* the value as the file writes it */
};

#define MAX_ITEMS (16 + SCN_NR_REGS + 1 + SCN_MAX_LIST)

static char *add_item(struct expect_item *it, unsigned *n, const char *key, const char *label)
{
	struct expect_item *e = &it[(*n)++];

	e->key = key;
	snprintf(e->label, sizeof(e->label), "%s", label);
	return e->val;
}

/* ITEM(): the buffer and size arguments of snprintf, for a new item. */
#define ITEM(key, label) add_item(it, &n, key, label), sizeof(it->val)
#define HEX(v) (unsigned long long)(v)

static const char *size_key(u64 size)
{
	switch (size) {
	case 4096:
		return "4k";
	case 2ULL << 20:
		return "2m";
	case 4ULL << 20:
		return "4m";
	case 1ULL << 30:
		return "1g";
	default:
		return "?";
	}
}

/* A register expectation as the file writes it: flag names where the register has them. */
static void reg_value(const struct scn_named_u64 *r, char *buf, size_t n)
{
	for (unsigned i = 0; i < SCN_NR_REGS; i++) {
		if (r->name && !strcmp(r->name, scn_reg_name((enum scn_reg)i))) {
			cli_reg_flags((enum scn_reg)i, r->val, buf, n);
			return;
		}
	}
	snprintf(buf, n, "0x%llx", HEX(r->val));
}

static unsigned expect_items(const struct scn_expect *e, struct expect_item *it)
{
	bool npf = (e->has & SCN_EX_FAULT) && e->fault == SCN_FAULT_NPF;
	unsigned n = 0;

	if (e->has & SCN_EX_FAULT)
		snprintf(ITEM("fault", "fault"), "%s", scn_fault_name(e->fault));
	if (e->has & SCN_EX_ERROR_CODE)
		snprintf(ITEM("error_code", npf ? "exitinfo1" : "error_code"), "0x%llx",
			 HEX(e->error_code));
	if (e->has & SCN_EX_CR2)
		snprintf(ITEM("cr2", "cr2"), "0x%llx", HEX(e->cr2));
	if (e->has & SCN_EX_GPA)
		snprintf(ITEM("gpa", npf ? "exitinfo2" : "gpa"), "0x%llx", HEX(e->gpa));
	if (e->has & SCN_EX_QUAL)
		snprintf(ITEM("qual", "qual"), "0x%llx", HEX(e->qual));
	if (e->has & SCN_EX_VALUE)
		snprintf(ITEM("value", "value"), "0x%llx", HEX(e->value));
	if (e->has & SCN_EX_PAGE_SIZE)
		snprintf(ITEM("page_size", "page_size"), "%s", size_key(e->page_size));
	if (e->has & SCN_EX_TLB_HIT)
		snprintf(ITEM("tlb_hit", "tlb_hit"), "%s", e->tlb_hit ? "true" : "false");
	if (e->has & SCN_EX_OUTCOMES)
		snprintf(ITEM("outcomes", "outcomes"), "%u", e->outcomes);
	for (unsigned i = 0; (e->has & SCN_EX_REGS) && i < e->nregs; i++) {
		char label[48];

		snprintf(label, sizeof(label), "regs.%s", e->regs[i].name);
		reg_value(&e->regs[i], ITEM(NULL, label));
	}
	if (e->has & SCN_EX_TLB_COUNT)
		snprintf(ITEM("tlb_entries", "tlb_entries"), "%llu", HEX(e->tlb_count));
	if (e->has & SCN_EX_MEM)
		snprintf(ITEM("mem", "mem"),
			 "%u bytes at gpa 0x%llx (address space %u) hold 0x%llx", e->mem.size,
			 HEX(e->mem.gpa), e->mem.as, HEX(e->mem.value));
	if (e->has & SCN_EX_ENTRY)
		snprintf(ITEM("entry", "entry"),
			 "the level %u entry of 0x%llx in the %s tables at 0x%llx is 0x%llx",
			 e->entry.level, HEX(e->entry.va), scn_fmt_name(e->entry.pt.fmt),
			 HEX(e->entry.pt.root), HEX(e->entry.value));
	for (unsigned i = 0; (e->has & SCN_EX_TRACE) && i < e->ntrace; i++)
		snprintf(ITEM("trace", "trace"), "a line contains \"%s\"", e->trace[i]);
	return n;
}

/* Does the engine's failure name @what belong to expectation @key ("regs.cr0")? */
static bool fail_matches(const char *what, const char *key)
{
	size_t k = strlen(key);

	return !strncmp(what, key, k) && (what[k] == '\0' || what[k] == '.' || what[k] == '[');
}

/* The expectations of the step, each marked held or failed. */
static void print_expectations(const struct explain *x)
{
	struct expect_item it[MAX_ITEMS];
	bool used[MAX_FAILS] = {0};
	unsigned n = expect_items(&x->st->expect, it);

	if (!n && !x->nfails) {
		printf("\nexpectations: none given\n");
		return;
	}
	printf("\nexpectations:\n");
	for (unsigned i = 0; i < n; i++) {
		const struct fail_copy *f = NULL;

		for (unsigned j = 0; j < x->nfails && !f; j++)
			if (!used[j] &&
			    fail_matches(x->fails[j].what, it[i].key ? it[i].key : it[i].label)) {
				used[j] = true;
				f = &x->fails[j];
			}
		printf("  %s%s %s: ", it[i].label, strcmp(it[i].label, "trace") ? " =" : ":",
		       it[i].val);
		if (f)
			printf("FAILED, observed %s\n", f->observed);
		else
			printf("held\n");
	}
	/* Failures of implied expectations ("the access completes") and any other. */
	for (unsigned j = 0; j < x->nfails; j++) {
		if (used[j])
			continue;
		if (!strcmp(x->fails[j].what, "fault") && !(x->st->expect.has & SCN_EX_FAULT))
			printf("  fault = none (implied: the %s must complete): FAILED, observed "
			       "%s\n",
			       scn_op_name(x->st->op), x->fails[j].observed);
		else
			printf("  %s: FAILED, expected %s, observed %s\n", x->fails[j].what,
			       x->fails[j].expected, x->fails[j].observed);
	}
	if (x->lost_fails)
		printf("  ... and %u more failures\n", x->lost_fails);
}

static void print_header(const struct explain *x, u32 n)
{
	const struct scn_step *st = x->st;

	printf("step %u of %u: %s (vcpu %u)  [%s:%u:%u]\n", n, x->s->nsteps, scn_op_name(st->op),
	       st->vcpu, x->s->file, st->pos.line, st->pos.col);
	if (st->note)
		print_wrapped("  ", st->note);
}

/* The instruction bytes decoded here when the engine reported none. */
static void print_insn_fallback(const struct explain *x, const struct cpu_regs *r)
{
	struct decoded_insn d;
	unsigned bits = (r->efer & X86_EFER_LMA) && r->cs_l ? 64 : (r->cr0 & X86_CR0_PE) ? 32 : 16;

	if (!x->st->insn_len || x->saw_insn)
		return;
	if (decode_insn(x->st->insn, x->st->insn_len, bits, 0, &d))
		snprintf(d.text, sizeof(d.text), "(cannot decode)");
	printf("  instruction:");
	for (unsigned i = 0; i < x->st->insn_len; i++)
		printf(" %02x", x->st->insn[i]);
	printf("  %s  (%u-bit code)\n", d.text, bits);
}

static int usage(void)
{
	fprintf(stderr, "usage: mmuscope explain FILE --step N\n");
	return CLI_USAGE;
}

int cli_explain(int argc, char **argv)
{
	const char *path = NULL;
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;
	struct sim_snapshot snap;
	struct explain *x = NULL;
	bool have_step = false;
	u32 n = 0, before;
	int ret = CLI_USAGE;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--step") || !strncmp(argv[i], "--step=", 7)) {
			const char *v =
				argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : NULL);

			if (!cli_parse_u32(v, &n)) {
				fprintf(stderr,
					"mmuscope explain: --step needs a step index, got '%s'\n",
					v ? v : "");
				return usage();
			}
			have_step = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mmuscope explain: unknown option '%s'\n", argv[i]);
			return usage();
		} else if (!path) {
			path = argv[i];
		} else {
			return usage();
		}
	}
	if (!path || !have_step)
		return usage();
	if (cli_load(path, &s))
		return CLI_USAGE;
	if (n >= s.nsteps) {
		fprintf(stderr, "mmuscope explain: %s has %u steps (0..%u), no step %u\n", path,
			s.nsteps, s.nsteps ? s.nsteps - 1 : 0, n);
		goto out;
	}
	x = calloc(1, sizeof(*x));
	memset(&err, 0, sizeof(err));
	if (!x || sim_create(&sim, &s, &err)) {
		if (x)
			cli_print_error(&err);
		else
			fprintf(stderr, "mmuscope explain: out of memory\n");
		goto out;
	}
	/* The steps before N run with no sink: only their end state matters here. */
	if (sim_run(sim, n, &err) < 0) {
		cli_print_error(&err);
		goto out;
	}
	before = sim_failures(sim);
	x->s = &s;
	x->st = &s.steps[n];
	x->sim = sim;
	if (x->st->op == SCN_OP_MAP || x->st->op == SCN_OP_UNMAP || x->st->op == SCN_OP_SET_ENTRY)
		pt_cfg_build(&x->pt_cfg, &x->st->u.pt.pt, sim_features(sim));
	sim_snapshot(sim, &snap);
	print_header(x, n);
	if (before)
		printf("  (%u %s failed in the steps before this one; `mmuscope run` lists them)\n",
		       before, before == 1 ? "expectation" : "expectations");
	printf("\nvcpu %u before the step:\n", x->st->vcpu);
	print_regs(&snap.vcpu[x->st->vcpu].r, snap.vcpu[x->st->vcpu].tlb_entries);
	printf("\nwhat happens:\n");
	print_request(x);
	if (sim_add_sink(sim, explain_sink, x)) {
		fprintf(stderr, "mmuscope explain: cannot attach the event sink\n");
		goto out;
	}
	if (sim_step(sim, &err) < 0) {
		cli_print_error(&err);
		goto out;
	}
	print_insn_fallback(x, &snap.vcpu[x->st->vcpu].r);
	if (!x->shown)
		printf("  nothing changes\n");
	/* MMU milestone: the shadow pages and SPTEs behind this step are printed here. */
	print_expectations(x);
	ret = x->nfails ? CLI_FAIL : CLI_OK;
out:
	if (sim)
		sim_destroy(sim);
	free(x);
	scn_free(&s);
	return ret;
}
