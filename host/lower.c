/* SPDX-License-Identifier: MIT */
/*
 * Lowering a scenario to a probe batch: the simulator runs the scenario and an
 * event sink translates its architectural events into commands (docs/host.md,
 * "Lowering a scenario"): memory writes become WRITE, accepted register writes
 * a MODE or CR3 at the end of their step, INVLPG/flushes INVLPG/FLUSH, accesses
 * ACCESS followed by a READ of every page-table entry the reference walk
 * visits. Each record gets the simulator's prediction; what cannot be probed
 * becomes a per-step "skipped: <reason>".
 */
#include "host/lower.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/regs.h"
#include "cpu/tlb.h"
#include "cpu/walk.h"
#include "sim/engine.h"

#define PTE_A BIT_ULL(5)
#define PTE_D BIT_ULL(6)
#define WIN_SLOTS 5 /* 3 for L1's window, 2 more in L2 (docs/host.md "Nested paging") */
#define SMM_SAVE_BYTES 512u /* the state save area at SMBASE + 0xfe00 */
#define SMM_DEFAULT_SMBASE 0x30000ULL /* SDM Vol. 3 34.11; KVM's and QEMU's reset value */
#define MAX_WALK_PAS WALK_MAX_STEPS

/* Memory where the host's bytes may differ from the simulator's. */
struct taint {
	u64 lo, hi;
	const char *why;
};

/* The access's data store, held until the access is known to be lowered. */
struct pending_store {
	bool valid, dropped;
	u64 gpa, val;
	u8 size, as;
};

/* Page-table entries whose A/D bits the simulator and the CPU may have set
 * differently (an access one served from a cached translation and the other
 * may have walked for): at most this many tracked, oldest dropped first. */
#define AD_UNCERTAIN_MAX 256

struct lower {
	u64 ad_uncertain[AD_UNCERTAIN_MAX];
	u8 ad_uncertain_size[AD_UNCERTAIN_MAX];
	unsigned n_ad_uncertain;
	const struct scenario *s;
	struct sim *sim;
	struct lower_result *out;
	int err;
	u32 step;
	enum scn_op op;
	u16 vcpu;
	/* pages the case touches: zeroed first */
	u64 *pages;
	size_t npages, cap_pages;
	struct taint *taints;
	size_t ntaints, cap_taints;
	/* the host's mode: the registers of the last MODE/CR3 sent */
	bool host_paging, force_mode;
	struct cpu_regs host;
	const char *mode_skip; /* why accesses under the current mode are not probed */
	char mode_skip_buf[160];
	u64 slot_lo[WIN_SLOTS], slot_hi[WIN_SLOTS]; /* the window's table slots */
	unsigned nslots;
	u64 win_lo, win_hi; /* linear addresses translated by the window slot */
	/* nested paging: the image runs L2's accesses (a VMRUN_MODE lowered) */
	bool nested;
	struct cpu_regs l2; /* L2's registers at the vmentry */
	u64 ncr3;
	/* per step */
	bool mode_written, cr3_written;
	struct pending_store store;
	const struct scn_step *st;
	u64 walk_pas[MAX_WALK_PAS];
	u8 walk_sizes[MAX_WALK_PAS];
	unsigned nwalk;
	bool walked;
	/* SMM (docs/host.md "SMM"): the image in SMM (an SMI lowered, no RSM
	 * yet), or the simulator alone (an SMI not lowered) */
	bool host_smm, smm_unprobed;
	bool smm_mode_after; /* a save-area store was not lowered: MODE after RSM */
	u64 host_smbase; /* the probe's CPU's SMBASE */
	u64 smm_area; /* the live state save area (host_smm) */
	const char *smm_skip; /* mode_skip when the SMI came */
	char smm_skip_buf[160];
	bool smm_old_ok; /* smm_old: address space 1's save area before the SMI */
	u8 smm_old[SMM_SAVE_BYTES];
	/* save-area bytes QEMU left as they were where the simulator wrote others */
	u64 keep_gpa;
	bool keep_any;
	u8 keep[SMM_SAVE_BYTES], keep_old[SMM_SAVE_BYTES];
};

/* ---- small helpers ---- */

static void set_err(struct lower *l, int r)
{
	if (!l->err)
		l->err = r;
}

/* Room for element @n of the array *@v (capacity *@cap, elements of @elem
 * bytes): doubled, or @first to start with; false (and MSC_ENOMEM) without. */
static bool room(struct lower *l, void **v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c;
	void *p;

	if (n < *cap)
		return true;
	c = *cap ? 2 * *cap : first;
	p = realloc(*v, c * elem);
	if (!p) {
		set_err(l, MSC_ENOMEM);
		return false;
	}
	*v = p;
	*cap = c;
	return true;
}

static bool in_probe_mem(u64 gpa, u64 len)
{
	if (len == 0 || gpa >= HB_SCN_LIMIT || len > HB_SCN_LIMIT - gpa)
		return false;
	return gpa + len <= HB_HOLE_LO || gpa >= HB_HOLE_HI;
}

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static void note(struct lower *l, u32 step, bool skip, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(struct lower *l, u32 step, bool skip, const char *fmt, ...)
{
	struct lower_result *o = l->out;
	struct lower_note *n;
	char text[140];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (u32 i = o->nnotes; i-- > 0;) {
		if (o->notes[i].step != step)
			break;
		if (!strcmp(o->notes[i].text, text))
			return; /* once per step */
	}
	if (!room(l, (void **)&o->notes, &o->cap_notes, o->nnotes, sizeof(*o->notes), 32))
		return;
	n = &o->notes[o->nnotes++];
	memset(n, 0, sizeof(*n));
	n->step = step;
	n->before_cmd = o->batch.ncmds;
	n->skip = skip;
	snprintf(n->text, sizeof(n->text), "%s%s", skip ? "skipped: " : "note: ", text);
}

static void touch(struct lower *l, u64 gpa, u64 len)
{
	for (u64 p = gpa & PAGE_MASK; p < gpa + len; p += PAGE_SIZE) {
		if (l->npages && l->pages[l->npages - 1] == p)
			continue;
		if (!room(l, (void **)&l->pages, &l->cap_pages, l->npages, sizeof(*l->pages), 64))
			return;
		l->pages[l->npages++] = p;
	}
}

static void taint(struct lower *l, u64 gpa, u64 len, const char *why)
{
	if (!room(l, (void **)&l->taints, &l->cap_taints, l->ntaints, sizeof(*l->taints), 8))
		return;
	l->taints[l->ntaints++] = (struct taint){gpa, gpa + len, why};
}

static const char *tainted(const struct lower *l, u64 gpa, u64 len)
{
	for (size_t i = 0; i < l->ntaints; i++)
		if (gpa < l->taints[i].hi && gpa + len > l->taints[i].lo)
			return l->taints[i].why;
	return NULL;
}

static bool in_slot(const struct lower *l, u64 gpa, u64 len)
{
	for (unsigned i = 0; i < l->nslots; i++)
		if (gpa < l->slot_hi[i] && gpa + len > l->slot_lo[i])
			return true;
	return false;
}

/* Why [gpa, gpa+len) of address space 0 cannot be used by a probe, or NULL. */
static const char *mem_unusable(const struct lower *l, u64 gpa, u64 len, bool write)
{
	struct gmem_slot_info si;
	const char *t;

	if (!in_probe_mem(gpa, len))
		return "outside the probe's scenario memory";
	if (!gmem_slot_find(sim_gmem(l->sim), 0, gpa, &si) || gpa + len > si.base + si.size)
		return "no memslot behind it";
	if (write && (si.flags & GMEM_SLOT_READONLY))
		return "a read-only memslot (the probe's RAM would take the write)";
	t = tainted(l, gpa, len);
	if (t)
		return t;
	return NULL;
}

static u64 sim_read(const struct lower *l, u64 gpa, unsigned size)
{
	u8 buf[8] = {0};

	if (gmem_read(sim_gmem(l->sim), 0, gpa, buf, size))
		return 0;
	return msc_le_get(buf, size);
}

/* Whether address space 1 maps [gpa, gpa + len) onto address space 0's RAM at
 * the same address (QEMU's SMRAM overlay aliases RAM outside SMRAM): what SMM
 * code stores there is what the probe's RAM holds. */
static bool as1_is_ram(const struct lower *l, u64 gpa, u64 len)
{
	const void *h1 = gmem_hva(sim_gmem(l->sim), 1, gpa, len);

	return h1 && h1 == gmem_hva(sim_gmem(l->sim), 0, gpa, len);
}

static struct hb_cmd *push(struct lower *l, u8 op)
{
	struct hb_cmd c;
	int r;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.id = l->step;
	r = hb_push(&l->out->batch, &c);
	if (r) {
		set_err(l, r);
		return NULL;
	}
	return &l->out->batch.cmds[l->out->batch.ncmds - 1];
}

static struct lower_pred *pred_add(struct lower *l, u8 op)
{
	struct lower_result *o = l->out;
	struct lower_pred *p;

	if (!room(l, (void **)&o->preds, &o->cap_preds, o->npreds, sizeof(*o->preds), 64))
		return NULL;
	p = &o->preds[o->npreds++];
	memset(p, 0, sizeof(*p));
	p->op = op;
	p->cmd = o->batch.ncmds - 1;
	p->step = l->step;
	return p;
}

static bool ad_uncertain(const struct lower *l, u64 gpa)
{
	for (unsigned i = 0; i < l->n_ad_uncertain; i++)
		if (l->ad_uncertain[i] == gpa)
			return true;
	return false;
}

static void ad_uncertain_add(struct lower *l, u64 gpa, u8 size)
{
	if (ad_uncertain(l, gpa))
		return;
	if (l->n_ad_uncertain == AD_UNCERTAIN_MAX) {
		memmove(l->ad_uncertain, l->ad_uncertain + 1,
			sizeof(l->ad_uncertain[0]) * (AD_UNCERTAIN_MAX - 1));
		memmove(l->ad_uncertain_size, l->ad_uncertain_size + 1,
			sizeof(l->ad_uncertain_size[0]) * (AD_UNCERTAIN_MAX - 1));
		l->n_ad_uncertain--;
	}
	l->ad_uncertain_size[l->n_ad_uncertain] = size;
	l->ad_uncertain[l->n_ad_uncertain++] = gpa;
}

/* A store over an entry makes its bits the same on both sides again. */
static void ad_uncertain_drop(struct lower *l, u64 gpa, u8 size)
{
	for (unsigned i = 0; i < l->n_ad_uncertain;) {
		if (l->ad_uncertain[i] + l->ad_uncertain_size[i] > gpa &&
		    l->ad_uncertain[i] < gpa + size) {
			l->n_ad_uncertain--;
			l->ad_uncertain[i] = l->ad_uncertain[l->n_ad_uncertain];
			l->ad_uncertain_size[i] = l->ad_uncertain_size[l->n_ad_uncertain];
		} else
			i++;
	}
}

static bool smm_write_blocked(struct lower *l, u64 gpa, u8 size);

static void emit_write(struct lower *l, u64 gpa, u64 val, u8 size)
{
	struct hb_cmd *c;

	if (smm_write_blocked(l, gpa, size))
		return;
	c = push(l, HB_OP_WRITE);
	ad_uncertain_drop(l, gpa, size);
	if (!c)
		return;
	c->size = size;
	c->a = gpa;
	c->b = val & size_mask(size);
	touch(l, gpa, size);
}

/* ---- the mode ---- */

static u64 norm_cr0(u64 cr0)
{
	/* The probe needs protected mode; cache control does not affect translation. */
	return (cr0 | X86_CR0_PE) & ~(X86_CR0_CD | X86_CR0_NW);
}

static bool same_mode(const struct cpu_regs *a, const struct cpu_regs *b)
{
	return norm_cr0(a->cr0) == norm_cr0(b->cr0) && a->cr4 == b->cr4 &&
	       (a->efer & ~X86_EFER_LMA) == (b->efer & ~X86_EFER_LMA) && a->pkru == b->pkru &&
	       a->cs_l == b->cs_l;
}

/*
 * The window's slots in the tables of @r (host/batch.h): 32-bit PDE 1023; PAE
 * PDPTE 3, and PDEs 510/511 of its PD when the scenario's PDPTE 3 is present;
 * PML4E/PML5E 511. Returns why the mode cannot be probed, or NULL.
 */
static const char *window_of(struct lower *l, const struct cpu_regs *r)
{
	enum cpu_paging_mode m = cpu_paging_mode(r);
	static char buf[160];
	u64 root = 0, e;

	l->nslots = 0;
	switch (m) {
	case CPU_PAGING_NONE:
		return NULL;
	case CPU_PAGING_32:
		root = r->cr3 & 0xfffff000ULL;
		if (mem_unusable(l, root, PAGE_SIZE, false))
			goto outside;
		l->slot_lo[0] = root + 1023 * 4;
		l->slot_hi[0] = l->slot_lo[0] + 4;
		l->nslots = 1;
		l->win_lo = HB_WINDOW_VA;
		l->win_hi = 0xffffffffULL;
		if (sim_read(l, l->slot_lo[0], 4) & 1)
			goto conflict;
		return NULL;
	case CPU_PAGING_PAE:
		root = r->cr3 & 0xffffffe0ULL;
		if (mem_unusable(l, root, 32, false))
			goto outside;
		l->slot_lo[0] = root + 24;
		l->slot_hi[0] = root + 32;
		l->nslots = 1;
		l->win_hi = 0xffffffffULL;
		e = sim_read(l, root + 24, 8);
		if (!(e & 1)) {
			l->win_lo = 0xc0000000ULL; /* the harness's own PD */
			return NULL;
		}
		l->win_lo = HB_WINDOW_VA;
		root = e & GENMASK_ULL(51, 12);
		if (mem_unusable(l, root, PAGE_SIZE, false))
			goto outside;
		l->slot_lo[1] = root + 510 * 8;
		l->slot_hi[1] = root + 512 * 8;
		l->nslots = 2;
		if ((sim_read(l, l->slot_lo[1], 8) | sim_read(l, l->slot_lo[1] + 8, 8)) & 1)
			goto conflict;
		return NULL;
	case CPU_PAGING_4LVL:
	case CPU_PAGING_5LVL:
		root = r->cr3 & GENMASK_ULL(51, 12);
		if (mem_unusable(l, root, PAGE_SIZE, false))
			goto outside;
		l->slot_lo[0] = root + 511 * 8;
		l->slot_hi[0] = root + 512 * 8;
		l->nslots = 1;
		l->win_lo = m == CPU_PAGING_5LVL ? 0xff00000000000000ULL : 0xffffff8000000000ULL;
		l->win_hi = ~0ULL;
		if (sim_read(l, l->slot_lo[0], 8) & 1)
			goto conflict;
		return NULL;
	}
	return NULL;
outside:
	l->nslots = 0;
	snprintf(buf, sizeof(buf), "the tables of CR3 0x%llx are %s", (unsigned long long)r->cr3,
		 mem_unusable(l, root, 8, false));
	return buf;
conflict:
	snprintf(buf, sizeof(buf),
		 "harness window conflict: the scenario uses the window slot at 0x%llx",
		 (unsigned long long)l->slot_lo[l->nslots - 1]);
	l->nslots = 0;
	return buf;
}

static void set_mode_skip(struct lower *l, const char *why)
{
	if (!why) {
		l->mode_skip = NULL;
		return;
	}
	snprintf(l->mode_skip_buf, sizeof(l->mode_skip_buf), "%s", why);
	l->mode_skip = l->mode_skip_buf;
}

/* ---- nested paging (docs/host.md "Nested paging") ---- */

/* The L1-physical address of L2 gpa @gpa through the 4-level NPT at @ncr3
 * (present entries, 1 GiB and 2 MiB leaves), or UINT64_MAX. */
static u64 npt_translate(const struct lower *l, u64 ncr3, u64 gpa)
{
	u64 table = ncr3 & GENMASK_ULL(51, 12);

	for (unsigned level = 4; level >= 1; level--) {
		const unsigned shift = 12 + 9 * (level - 1);
		const u64 ea = table + ((gpa >> shift) & 511) * 8;
		u64 e;

		if (mem_unusable(l, ea, 8, false))
			return UINT64_MAX;
		e = sim_read(l, ea, 8);
		if (!(e & 1))
			return UINT64_MAX;
		if (level == 1 || (level <= 3 && (e & BIT_ULL(7)))) {
			const u64 psz = 1ULL << shift;

			return (e & GENMASK_ULL(51, 12) & ~(psz - 1)) + (gpa & (psz - 1));
		}
		table = e & GENMASK_ULL(51, 12);
	}
	return UINT64_MAX;
}

/*
 * For an #NPF on a reserved bit at L2 gpa @gpa (host/known.c, tcg-amd-npt-bit8):
 * whether the NPT walk's only reserved bit is bit 8 of the nPML4E (AMD: MBZ)
 * and the walk past it reaches a present leaf whose address fits @maxphyaddr;
 * then *@pte is that nPML4E.
 */
static bool npt_bit8_only(const struct lower *l, u64 ncr3, u64 gpa, unsigned maxphyaddr, u64 *pte)
{
	const u64 rsvd_hi = GENMASK_ULL(51, maxphyaddr);
	u64 table = ncr3 & GENMASK_ULL(51, 12);

	for (unsigned level = 4; level >= 1; level--) {
		const unsigned shift = 12 + 9 * (level - 1);
		const u64 ea = table + ((gpa >> shift) & 511) * 8;
		u64 e;

		if (mem_unusable(l, ea, 8, false))
			return false;
		e = sim_read(l, ea, 8);
		if (!(e & 1) || (e & rsvd_hi))
			return false;
		if (level == 4) {
			if ((e & (BIT_ULL(8) | BIT_ULL(7))) != BIT_ULL(8))
				return false;
			*pte = e;
		} else if (level == 1 || (e & BIT_ULL(7))) {
			return true;
		}
		table = e & GENMASK_ULL(51, 12);
	}
	return false;
}

/*
 * A vmentry of vCPU 0 into L2 (@r: L2's registers): a VMRUN_MODE when it is
 * SVM with NPT from a probed 4-level L1 into 64-bit 4-level L2 and the
 * harness's two slots (L2's PML4E 511, nPML4E HB_L2_NPT_SLOT) are free.
 * Returns why not, or NULL (lowered).
 */
static const char *nested_enter(struct lower *l, const struct cpu_regs *r)
{
	static char buf[160];
	const struct scn_step *st = l->st;
	u64 ncr3, root;
	struct hb_cmd *c;
	struct lower_pred *p;

	if (!st || st->op != SCN_OP_VMENTRY)
		return "L2 entered by a step that is not a vmentry";
	if (st->u.vmentry.eptp)
		return "VMX with nested EPT (the probe's CPU, TCG -cpu max, has no VMX)";
	if (!st->u.vmentry.npt || !st->u.vmentry.ncr3)
		return "nested virtualization without NPT is not probed";
	if (!l->host_paging || l->mode_skip || cpu_paging_mode(&l->host) != CPU_PAGING_4LVL)
		return "L1 is not in a probed 4-level paging mode (only 4-level L1 is probed)";
	if (cpu_paging_mode(r) != CPU_PAGING_4LVL || !r->cs_l)
		return "L2 is not in 64-bit 4-level paging (only that is probed)";
	if (r->cr4 & (X86_CR4_PKE | X86_CR4_PCIDE))
		return "L2 with CR4.PKE or CR4.PCIDE (the probe switches neither PKRU nor PCIDs)";
	if (!st->u.vmentry.vpid)
		return "ASID 0 (VMRUN refuses it)";
	if (l->out->batch.maxphyaddr && l->out->batch.maxphyaddr < 40)
		return "MAXPHYADDR below 40: the harness's L2 addresses (512 GiB) need 40";
	ncr3 = st->u.vmentry.ncr3 & GENMASK_ULL(51, 12);
	if (mem_unusable(l, ncr3, PAGE_SIZE, false)) {
		snprintf(buf, sizeof(buf), "the NPT root 0x%llx is %s", (unsigned long long)ncr3,
			 mem_unusable(l, ncr3, PAGE_SIZE, false));
		return buf;
	}
	root = npt_translate(l, ncr3, r->cr3 & GENMASK_ULL(51, 12));
	if (root == UINT64_MAX || mem_unusable(l, root, PAGE_SIZE, false))
		return "L2's top-level table is not mapped by the NPT into the probe's memory";
	if (sim_read(l, ncr3 + HB_L2_NPT_SLOT * 8, 8) & 1)
		return "harness NPT slot conflict: the scenario's nPML4E 1 is present";
	if (sim_read(l, root + 511 * 8, 8) & 1)
		return "harness window conflict: L2's PML4E 511 is present";
	if (in_slot(l, ncr3 + HB_L2_NPT_SLOT * 8, 8) || in_slot(l, root + 511 * 8, 8) ||
	    l->nslots + 2 > WIN_SLOTS)
		return "harness window conflict: L1's window slot is L2's or the NPT's";
	c = push(l, HB_OP_VMRUN_MODE);
	if (!c)
		return NULL;
	c->a = norm_cr0(r->cr0);
	c->b = r->cr3;
	c->c = r->cr4;
	c->d = r->efer & ~X86_EFER_LMA;
	c->e = st->u.vmentry.ncr3;
	c->f = root;
	c->asid = st->u.vmentry.vpid;
	touch(l, ncr3, PAGE_SIZE);
	touch(l, root, PAGE_SIZE);
	p = pred_add(l, HB_OP_VMRUN_MODE);
	if (p) {
		p->noutcomes = 1;
		p->outcomes[0].vector = HB_NO_VECTOR;
		p->outcomes[0].why = "sim";
	}
	l->slot_lo[l->nslots] = ncr3 + HB_L2_NPT_SLOT * 8;
	l->slot_hi[l->nslots++] = ncr3 + HB_L2_NPT_SLOT * 8 + 8;
	l->slot_lo[l->nslots] = root + 511 * 8;
	l->slot_hi[l->nslots++] = root + 512 * 8;
	l->nested = true;
	l->l2 = *r;
	l->ncr3 = ncr3;
	set_mode_skip(l, NULL);
	return NULL;
}

/* After a step (and before the first): bring the host's mode to vCPU 0's. */
static void sync_mode(struct lower *l)
{
	struct sim_snapshot snap;
	const struct cpu_regs *r;
	bool paging, cr3_only;
	const char *why;
	struct hb_cmd *c;

	sim_snapshot(l->sim, &snap);
	r = &snap.vcpu[0].r;
	if (r->smm) {
		/* The image stays in (or, with its SMI, returns by RSM to) the mode
		 * the SMI interrupted: no MODE; accesses in SMM are not probed. */
		set_mode_skip(l, "vCPU 0 is in SMM (accesses in SMM are not probed)");
		return;
	}
	if (r->guest_mode) {
		if (l->nested) {
			if (same_mode(r, &l->l2) && r->cr3 == l->l2.cr3 && !l->mode_skip)
				return;
			set_mode_skip(l, "L2's registers changed after the vmentry (not probed)");
			l->force_mode = true;
			return;
		}
		if (l->op == SCN_OP_VMENTRY && l->vcpu == 0) {
			why = nested_enter(l, r);
			if (!why)
				return;
			note(l, l->step, true, "vmentry: %s", why);
			set_mode_skip(l, why);
		} else if (!l->mode_skip) {
			set_mode_skip(l, "vCPU 0 runs L2 (nested virtualization, not probed)");
		}
		l->force_mode = true;
		return;
	}
	if (l->nested) {
		/* #VMEXIT: the image leaves L2 and is in L1's mode again */
		if (!push(l, HB_OP_VMEXIT))
			return;
		l->nested = false;
		(void)window_of(l, &l->host);
	}
	paging = cpu_paging_mode(r) != CPU_PAGING_NONE;
	if (!paging && !l->host_paging && !l->force_mode) {
		set_mode_skip(l, NULL); /* paging off either way: nothing to change */
		return;
	}
	if (!l->force_mode && paging == l->host_paging && same_mode(r, &l->host) &&
	    r->cr3 == l->host.cr3 && !l->cr3_written)
		return;
	cr3_only = !l->force_mode && paging && l->host_paging && same_mode(r, &l->host) &&
		   !l->mode_skip;
	why = window_of(l, r);
	if (why) {
		set_mode_skip(l, why);
		l->force_mode = true;
		return;
	}
	c = push(l, cr3_only ? HB_OP_CR3 : HB_OP_MODE);
	if (!c)
		return;
	c->b = r->cr3;
	if (!cr3_only) {
		c->a = norm_cr0(r->cr0);
		c->c = r->cr4;
		c->d = r->efer & ~X86_EFER_LMA;
		c->e = r->pkru;
		/* In IA-32e mode the simulator's accesses use 64-bit linear addresses
		 * whatever CS.L says (sim/engine_ops.c linear()): the probe makes them
		 * from 64-bit code. */
		if (r->efer & X86_EFER_LMA)
			c->flags = HB_F_CS64;
	}
	if (paging)
		touch(l, r->cr3 & (cpu_paging_mode(r) == CPU_PAGING_PAE ? ~0x1fULL : PAGE_MASK),
		      cpu_paging_mode(r) == CPU_PAGING_PAE ? 32 : PAGE_SIZE);
	{
		struct lower_pred *p = pred_add(l, c->op);

		if (p) {
			p->noutcomes = 1;
			p->outcomes[0].vector = HB_NO_VECTOR;
			p->outcomes[0].why = "sim";
		}
	}
	l->host = *r;
	l->host_paging = paging;
	l->force_mode = false;
	set_mode_skip(l, NULL);
	/* The probe loads the PDPTEs from memory now; the simulator uses its registers. */
	if (cpu_paging_mode(r) == CPU_PAGING_PAE) {
		u64 pdpt = r->cr3 & 0xffffffe0ULL;

		for (unsigned i = 0; i < 4; i++)
			if (r->pdpte[i] != sim_read(l, pdpt + 8 * i, 8))
				set_mode_skip(l, "the PAE PDPTE registers differ from memory");
	}
}

/* ---- accesses ---- */

static u8 vector_of(enum walk_fault_kind k)
{
	switch (k) {
	case WALK_FAULT_PF:
		return X86_VEC_PF;
	case WALK_FAULT_GP:
		return X86_VEC_GP;
	case WALK_FAULT_NONE:
	case WALK_FAULT_EPT_VIOLATION:
	case WALK_FAULT_EPT_MISCONFIG:
	case WALK_FAULT_NPF:
		break;
	}
	return HB_NO_VECTOR;
}

static bool same_outcome(const struct lower_outcome *a, const struct lower_outcome *b)
{
	return a->vector == b->vector && a->error_code == b->error_code && a->cr2 == b->cr2 &&
	       a->has_value == b->has_value && a->value == b->value;
}

/* The data store a skipped access made in the simulator, and the A/D bits its
 * walk set, written so that the host's memory stays the simulator's. */
static void sync_skipped_access(struct lower *l)
{
	if (l->store.valid && !l->store.dropped) {
		if (l->store.as != 0 && !as1_is_ram(l, l->store.gpa, l->store.size))
			taint(l, l->store.gpa, l->store.size,
			      "written by an access that was not probed");
		else if (in_probe_mem(l->store.gpa, l->store.size) &&
			 !in_slot(l, l->store.gpa, l->store.size))
			emit_write(l, l->store.gpa, l->store.val, l->store.size);
		else
			taint(l, l->store.gpa, l->store.size,
			      "written by an access that was not probed");
	}
	for (unsigned i = 0; i < l->nwalk; i++) {
		u64 pa = l->walk_pas[i];
		u8 size = l->walk_sizes[i];

		if (!in_probe_mem(pa, size) || in_slot(l, pa, size))
			continue;
		emit_write(l, pa, sim_read(l, pa, size), size);
	}
}

static const char *access_skip(struct lower *l, const struct sim_event *ev)
{
	const struct sim_ev_access *a = &ev->u.access;
	static char buf[96];

	if (ev->vcpu != 0) {
		snprintf(buf, sizeof(buf), "vCPU %u (the probe runs vCPU 0 only)", ev->vcpu);
		return buf;
	}
	if (a->implicit)
		return "implicit supervisor access";
	if (l->mode_skip)
		return l->mode_skip;
	if (a->fault != SCN_FAULT_NONE && a->fault != SCN_FAULT_PF && a->fault != SCN_FAULT_GP &&
	    !(a->fault == SCN_FAULT_NPF && l->nested))
		return "EPT/NPT fault kind (nested paging)";
	return NULL;
}

/* Add the outcome of completing the access at @gpa (or faulting as @o says). */
static const char *add_outcome(struct lower *l, struct lower_pred *p, struct lower_outcome *o,
			       const struct sim_ev_access *a, u64 gpa)
{
	if (o->vector == HB_NO_VECTOR) {
		const char *why = mem_unusable(l, gpa, a->size, a->kind == SCN_ACC_WRITE);

		if (why)
			return why;
		if (a->kind == SCN_ACC_READ) {
			o->has_value = true;
			if (!o->value)
				o->value = sim_read(l, gpa, a->size);
		}
		touch(l, gpa, a->size);
	}
	for (unsigned i = 0; i < p->noutcomes; i++)
		if (same_outcome(&p->outcomes[i], o))
			return NULL;
	if (p->noutcomes < LOWER_MAX_OUTCOMES)
		p->outcomes[p->noutcomes++] = *o;
	return NULL;
}

/*
 * PAE paging uses the PDPTE registers loaded by the last MOV to CR3 (or CR0/CR4)
 * (SDM 4.4.1); a PDPT edited since differs from them. When it does, record
 * what a walk through the PDPTEs in memory gives, for runners without PDPTE
 * registers (host/known.c, tcg-pae-pdpte-memory).
 */
static u64 pdpte_from_memory(struct lower *l, struct lower_pred *p, const struct cpu_regs *r,
			     const struct walk_cfg *cfg, const struct walk_req *req,
			     const struct sim_ev_access *a)
{
	struct walk_gmem_ro_ctx rc = {.m = sim_gmem(l->sim)};
	struct walk_cfg mcfg = *cfg;
	struct walk_result res;
	struct walk_ctx wctx;
	bool differ = false;

	if (cfg->fmt != WALK_FMT_PAE)
		return UINT64_MAX;
	for (unsigned i = 0; i < 4; i++) {
		mcfg.pdpte[i] = sim_read(l, (r->cr3 & ~0x1fULL) + 8u * i, 8);
		differ |= mcfg.pdpte[i] != r->pdpte[i];
	}
	if (!differ)
		return UINT64_MAX;
	memset(&wctx, 0, sizeof(wctx));
	wctx.g = &mcfg;
	walk_mem_gmem_ro(&wctx.mem, &rc);
	walk_translate(&wctx, req, &res);
	if (res.fault.nomem)
		return UINT64_MAX;
	memset(&p->pdpte_mem, 0, sizeof(p->pdpte_mem));
	p->pdpte_mem.why = "PDPTEs from memory";
	if (res.ok) {
		p->pdpte_mem.vector = HB_NO_VECTOR;
		if (a->kind == SCN_ACC_READ) {
			p->pdpte_mem.has_value = true;
			p->pdpte_mem.value = sim_read(l, res.gpa, a->size ? a->size : 1);
		}
	} else if (res.fault.kind == WALK_FAULT_PF) {
		p->pdpte_mem.vector = X86_VEC_PF;
		p->pdpte_mem.error_code = (u32)res.fault.error_code;
		p->pdpte_mem.cr2 = req->addr;
	} else {
		return UINT64_MAX;
	}
	p->has_pdpte_mem = true;
	/* A runner that walks this way sets A/D where the simulator did not. */
	for (u32 i = 0; i < res.nsteps; i++)
		if (!(res.steps[i].flags & WALK_STEP_PDPTR))
			ad_uncertain_add(l, res.steps[i].pte_pa, 8);
	return res.ok ? res.gpa : UINT64_MAX;
}

/*
 * An access in L2 under nested paging: one VMRUN of the image. The prediction
 * is the simulator's outcome (a completion, L2's #PF or #GP, or the #NPF it
 * reflects to L1 with EXITINFO1/2); no reference walk of L2 is made, so an
 * access the simulator served from a cached translation is skipped, and the
 * entries of L2's walk are not read back (their A/D are not compared).
 */
static void lower_access_l2(struct lower *l, const struct sim_event *ev)
{
	const struct sim_ev_access *a = &ev->u.access;
	struct lower_pred tmp, *p;
	struct sim_snapshot snap;
	struct lower_outcome o;
	const char *why = NULL;
	struct hb_cmd *c;
	bool fetch_ret = false;

	sim_snapshot(l->sim, &snap);
	memset(&tmp, 0, sizeof(tmp));
	memset(&o, 0, sizeof(o));
	o.why = "sim";
	if (a->va >= 0xffffff8000000000ULL) {
		why = "the address is in the harness window (L2's PML4E 511)";
		goto skip;
	}
	if (a->from_tlb || a->outcomes > 1) {
		why = "a cached translation in L2 (each L2 access is a VMRUN of the probe: TCG "
		      "flushes its TLB there)";
		goto skip;
	}
	if (l->st && (l->st->expect.has & SCN_EX_DIVERGENCE) && l->st->expect.divergence) {
		why = "an expected divergence in L2 (no architectural reference walk of L2)";
		goto skip;
	}
	switch (a->fault) {
	case SCN_FAULT_NONE:
		o.vector = HB_NO_VECTOR;
		o.value = a->kind == SCN_ACC_READ ? a->value : 0;
		why = add_outcome(l, &tmp, &o, a, a->gpa);
		if (why)
			goto skip;
		fetch_ret = a->kind == SCN_ACC_FETCH;
		break;
	case SCN_FAULT_PF:
		o.vector = X86_VEC_PF;
		o.error_code = (u32)a->error_code;
		o.cr2 = a->cr2;
		tmp.outcomes[tmp.noutcomes++] = o;
		break;
	case SCN_FAULT_GP:
		o.vector = X86_VEC_GP;
		tmp.outcomes[tmp.noutcomes++] = o;
		break;
	case SCN_FAULT_NPF:
		if ((a->gpa >> 39) == HB_L2_NPT_SLOT) {
			why = "the #NPF's gpa is in the harness's NPT slot (512 GiB .. 1 TiB)";
			goto skip;
		}
		o.vector = HB_NO_VECTOR;
		o.npf = true;
		o.exitinfo1 = a->error_code;
		o.exitinfo2 = a->gpa;
		tmp.outcomes[tmp.noutcomes++] = o;
		break;
	case SCN_FAULT_UD:
	case SCN_FAULT_EPT_VIOLATION:
	case SCN_FAULT_EPT_MISCONFIG:
		why = "a fault kind the probe does not take in L2";
		goto skip;
	}
	/* A fetch CALLs its target, where a RET is put for the access. */
	if (fetch_ret && mem_unusable(l, a->gpa, 1, true)) {
		why = mem_unusable(l, a->gpa, 1, true);
		goto skip;
	}
	if (fetch_ret)
		emit_write(l, a->gpa, 0xc3, 1);
	c = push(l, HB_OP_ACCESS);
	if (!c)
		return;
	c->kind = a->kind == SCN_ACC_WRITE   ? HB_KIND_WRITE
		  : a->kind == SCN_ACC_FETCH ? HB_KIND_FETCH
					     : HB_KIND_READ;
	c->size = a->kind == SCN_ACC_FETCH ? 1 : a->size ? a->size : 1;
	c->cpl = a->cpl == 3 ? 3 : 0;
	c->flags = (snap.vcpu[0].r.rflags & X86_RFLAGS_AC) ? HB_F_AC : 0;
	c->a = a->va;
	if (a->kind == SCN_ACC_WRITE)
		c->b = l->store.valid ? l->store.val
				      : (l->st ? l->st->u.access.value : 0) & size_mask(c->size);
	p = pred_add(l, HB_OP_ACCESS);
	if (!p)
		return;
	p->noutcomes = tmp.noutcomes;
	memcpy(p->outcomes, tmp.outcomes, sizeof(p->outcomes));
	p->size = a->size ? a->size : 1;
	p->l1_smep_no_nx = (l->host.cr4 & X86_CR4_SMEP) && !(l->host.efer & X86_EFER_NXE);
	if (o.npf && (o.exitinfo1 & PFERR_RSVD)) {
		const unsigned mpa = l->out->batch.maxphyaddr ? l->out->batch.maxphyaddr : 52;
		u64 pte;

		if (npt_bit8_only(l, l->ncr3, o.exitinfo2, mpa, &pte)) {
			p->fault_level = 4;
			p->fault_pte = pte;
		}
	}
	l->out->accesses++;
	if (fetch_ret)
		emit_write(l, a->gpa, sim_read(l, a->gpa, 1), 1);
	if (a->kind == SCN_ACC_WRITE && l->store.valid && l->store.dropped)
		taint(l, l->store.gpa, l->store.size,
		      "a store the simulator's memslot dropped and the probe's RAM kept");
	/* The walk's A/D (both stages) may differ: TCG sets A|D in the nested
	 * entry of a guest page-table page (host-backend-notes.md). */
	for (unsigned i = 0; i < l->nwalk; i++)
		ad_uncertain_add(l, l->walk_pas[i], l->walk_sizes[i]);
	return;
skip:
	note(l, ev->step, true, "access %s va 0x%llx: %s", scn_access_name(a->kind),
	     (unsigned long long)a->va, why);
	sync_skipped_access(l);
}

static void lower_access(struct lower *l, const struct sim_event *ev)
{
	const struct sim_ev_access *a = &ev->u.access;
	struct lower_pred tmp, *p;
	struct sim_snapshot snap;
	const struct cpu_regs *r;
	struct walk_cfg cfg;
	struct walk_req req;
	struct walk_result fres;
	struct walk_ctx wctx;
	struct walk_gmem_ro_ctx rc = {.m = sim_gmem(l->sim)};
	struct lower_outcome o;
	u64 fetch_pa[LOWER_MAX_OUTCOMES];
	unsigned nfetch = 0, entry = 4;
	const char *why = access_skip(l, ev);
	const bool jmp_fetch = a->kind == SCN_ACC_FETCH && a->cpl == 3 && (a->va & 0xfff) != 0xfff;

	if (why)
		goto skip;
	if (l->nested) {
		lower_access_l2(l, ev);
		return;
	}
	sim_snapshot(l->sim, &snap);
	r = &snap.vcpu[0].r;
	walk_cfg_from_regs(&cfg, r, sim_features(l->sim));
	if (cfg.fmt == WALK_FMT_NONE) {
		why = "paging is off: a guest-physical access, no translation to compare";
		goto skip;
	}
	if (a->va >= l->win_lo && a->va <= l->win_hi) {
		why = "the address is in the harness window";
		goto skip;
	}
	if (cfg.fmt != WALK_FMT_32)
		entry = 8;

	/* The reference walk (no A/D writes), on memory as the access left it. */
	memset(&req, 0, sizeof(req));
	req.addr = a->va;
	req.acc = a->kind == SCN_ACC_WRITE   ? WALK_ACC_WRITE
		  : a->kind == SCN_ACC_FETCH ? WALK_ACC_FETCH
					     : WALK_ACC_READ;
	req.cpl = a->cpl;
	req.implicit = a->implicit;
	req.ac = (r->rflags & X86_RFLAGS_AC) != 0;
	memset(&wctx, 0, sizeof(wctx));
	wctx.g = &cfg;
	walk_mem_gmem_ro(&wctx.mem, &rc);
	walk_translate(&wctx, &req, &fres);
	if (fres.fault.nomem) {
		why = "the walk reads a page table with no memory behind it";
		goto skip;
	}
	for (u32 i = 0; i < fres.nsteps; i++) {
		const struct walk_step *ws = &fres.steps[i];

		if (ws->stage || (ws->flags & WALK_STEP_PDPTR))
			continue;
		if (in_slot(l, ws->pte_pa, entry)) {
			why = "the walk uses the harness window slot";
			goto skip;
		}
		why = mem_unusable(l, ws->pte_pa, entry, false);
		if (!why) {
			struct gmem_slot_info si;

			if (gmem_slot_find(sim_gmem(l->sim), 0, ws->pte_pa, &si) &&
			    (si.flags & GMEM_SLOT_READONLY))
				why = "a page table in a read-only memslot (its A/D writes are "
				      "dropped)";
		}
		if (why)
			goto skip;
	}

	/* The allowed outcomes: the simulator's, then (stale TLB) the others. */
	memset(&tmp, 0, sizeof(tmp));
	memset(&o, 0, sizeof(o));
	o.vector = a->fault == SCN_FAULT_PF   ? X86_VEC_PF
		   : a->fault == SCN_FAULT_GP ? X86_VEC_GP
					      : HB_NO_VECTOR;
	o.error_code = (u32)a->error_code;
	o.cr2 = o.vector == X86_VEC_PF ? a->cr2 : 0;
	o.value = a->kind == SCN_ACC_READ ? a->value : 0;
	o.why = "sim";
	if (o.vector == HB_NO_VECTOR && a->kind == SCN_ACC_READ && !a->value)
		o.value = 0; /* a zero read: add_outcome reads memory (also zero) */
	if (l->st && (l->st->expect.has & SCN_EX_DIVERGENCE) && l->st->expect.divergence) {
		/* A reproduced KVM bug (docs/history/): the simulator's outcome is the
		 * bug's; the CPU is compared with the architecture's walk. */
		memset(&o, 0, sizeof(o));
		o.vector = fres.ok ? HB_NO_VECTOR : vector_of(fres.fault.kind);
		if (!fres.ok && o.vector == HB_NO_VECTOR) {
			why = "an expected divergence whose architectural outcome is a VM exit";
			goto skip;
		}
		o.error_code = o.vector == X86_VEC_PF ? (u32)fres.fault.error_code : 0;
		o.cr2 = o.vector == X86_VEC_PF ? req.addr : 0;
		o.why = "architecture (the simulator reproduces a KVM bug here)";
		why = add_outcome(l, &tmp, &o, a, fres.gpa);
		if (why)
			goto skip;
		if (o.vector == HB_NO_VECTOR && a->kind == SCN_ACC_FETCH)
			fetch_pa[nfetch++] = fres.gpa;
		goto emit;
	}
	why = add_outcome(l, &tmp, &o, a, a->gpa);
	if (why)
		goto skip;
	if (o.vector == HB_NO_VECTOR && a->kind == SCN_ACC_FETCH)
		fetch_pa[nfetch++] = a->gpa;
	if (a->outcomes > 1 || a->from_tlb) {
		struct tlb_outcome alt[TLB_MAX_OUTCOMES];
		size_t n = tlb_allowed_outcomes(sim_tlb(l->sim, 0), 0, cpu_pcid(r), &cfg, &req,
						&fres, alt);

		for (size_t i = 0; i < n; i++) {
			memset(&o, 0, sizeof(o));
			o.vector = vector_of(alt[i].fault);
			if (alt[i].fault != WALK_FAULT_NONE && o.vector == HB_NO_VECTOR) {
				why = "an allowed outcome is a VM exit";
				goto skip;
			}
			o.error_code = o.vector == X86_VEC_PF ? (u32)alt[i].error_code : 0;
			o.cr2 = o.vector == X86_VEC_PF ? req.addr : 0;
			o.why = alt[i].from_tlb ? "tlb entry" : "fresh walk";
			why = add_outcome(l, &tmp, &o, a, alt[i].gpa);
			if (why)
				goto skip;
			if (o.vector == HB_NO_VECTOR && a->kind == SCN_ACC_FETCH &&
			    nfetch < LOWER_MAX_OUTCOMES) {
				bool dup = false;

				for (unsigned k = 0; k < nfetch; k++)
					dup |= fetch_pa[k] == alt[i].gpa;
				if (!dup)
					fetch_pa[nfetch++] = alt[i].gpa;
			}
		}
	}

emit:
	/* A runner without PDPTE registers may complete a fetch the architecture
	 * faults: give its target the same instruction. */
	{
		u64 mg = pdpte_from_memory(l, &tmp, r, &cfg, &req, a);

		if (mg != UINT64_MAX && a->kind == SCN_ACC_FETCH && nfetch < LOWER_MAX_OUTCOMES &&
		    !mem_unusable(l, mg, 2, true)) {
			bool dup = false;

			for (unsigned k = 0; k < nfetch; k++)
				dup |= fetch_pa[k] == mg;
			if (!dup) {
				touch(l, mg, 2);
				fetch_pa[nfetch++] = mg;
			}
		}
	}
	/* A fetch executes RET (0xC3) at the target, or at CPL3 INT 0x80 (CD 80,
	 * when both bytes are on the page) which needs no user stack; the old bytes
	 * go back after. */
	for (unsigned i = 0; i < nfetch; i++)
		emit_write(l, fetch_pa[i], jmp_fetch ? 0x80cd : 0xc3, jmp_fetch ? 2 : 1);
	{
		struct hb_cmd *c = push(l, HB_OP_ACCESS);

		if (!c)
			return;
		c->kind = a->kind == SCN_ACC_WRITE   ? HB_KIND_WRITE
			  : a->kind == SCN_ACC_FETCH ? HB_KIND_FETCH
						     : HB_KIND_READ;
		c->size = a->kind == SCN_ACC_FETCH ? (jmp_fetch ? 2 : 1) : a->size ? a->size : 1;
		c->cpl = a->cpl == 3 ? 3 : 0; /* CPL 1 and 2 are supervisor, as CPL 0 */
		c->flags = req.ac ? HB_F_AC : 0;
		c->a = a->va;
		/* The image loads PKRU for the access (WRPKRU e, with CR4.PKE). */
		c->e = r->pkru;
		/* The store's value: the step's operand (also when the simulator faulted). */
		if (a->kind == SCN_ACC_WRITE)
			c->b = l->store.valid
				       ? l->store.val
				       : (l->st ? l->st->u.access.value : 0) & size_mask(c->size);
	}
	p = pred_add(l, HB_OP_ACCESS);
	if (!p)
		return;
	p->noutcomes = tmp.noutcomes;
	memcpy(p->outcomes, tmp.outcomes, sizeof(p->outcomes));
	p->size = a->size ? a->size : 1;
	p->has_pdpte_mem = tmp.has_pdpte_mem;
	p->pdpte_mem = tmp.pdpte_mem;
	if (!fres.ok && fres.fault.kind == WALK_FAULT_PF && fres.fault.level && fres.nsteps) {
		p->fault_level = fres.fault.level;
		p->fault_pte = fres.steps[fres.nsteps - 1].pte;
	}
	l->out->accesses++;
	for (unsigned i = 0; i < nfetch; i++)
		emit_write(l, fetch_pa[i], sim_read(l, fetch_pa[i], jmp_fetch ? 2 : 1),
			   jmp_fetch ? 2 : 1);
	if (a->kind == SCN_ACC_WRITE && l->store.valid && l->store.dropped)
		taint(l, l->store.gpa, l->store.size,
		      "a store the simulator's memslot dropped and the probe's RAM kept");

	/* READ back every entry the walk visited: A/D compared. */
	for (u32 i = 0; i < fres.nsteps; i++) {
		const struct walk_step *ws = &fres.steps[i];
		struct hb_cmd *c;
		bool dup = false;

		if (ws->stage || (ws->flags & WALK_STEP_PDPTR))
			continue;
		for (u32 k = 0; k < i; k++)
			dup |= fres.steps[k].pte_pa == ws->pte_pa && !fres.steps[k].stage;
		if (dup)
			continue;
		c = push(l, HB_OP_READ);
		if (!c)
			return;
		c->a = ws->pte_pa;
		c->size = (u8)entry;
		touch(l, ws->pte_pa, entry);
		p = pred_add(l, HB_OP_READ);
		if (!p)
			return;
		p->gpa = ws->pte_pa;
		p->level = ws->level;
		p->size = (u8)entry;
		p->value = sim_read(l, ws->pte_pa, entry);
		/* Bits the probe's CPU and the simulator may set differently: with a
		 * cached translation either may walk again or not (A, and D in the
		 * leaf, set by one and not the other); a faulting walk may leave A in
		 * the entries it went through. */
		if (a->outcomes > 1 || a->from_tlb) {
			p->mask = i + 1 == fres.nsteps ? PTE_A | PTE_D : PTE_A;
			p->mask_why = "the access may use a cached translation or walk again";
			ad_uncertain_add(l, ws->pte_pa, (u8)entry);
		} else if (ad_uncertain(l, ws->pte_pa)) {
			p->mask = i + 1 == fres.nsteps ? PTE_A | PTE_D : PTE_A;
			p->mask_why = "an earlier access may have used a cached translation on one "
				      "side and walked on the other";
		} else if (fres.fault.kind == WALK_FAULT_PF && i + 1 < fres.nsteps) {
			p->mask = PTE_A & ~p->value;
			p->mask_why = "an entry a faulting walk went through may get A (SDM 4.8)";
		}
		if (!p->mask)
			p->mask_why = NULL;
	}
	return;
skip:
	note(l, ev->step, true, "access %s va 0x%llx: %s", scn_access_name(a->kind),
	     (unsigned long long)a->va, why);
	sync_skipped_access(l);
}

/* ---- SMM (docs/host.md "SMM") ---- */

/* The 64-bit state save area (APM Vol. 2 Table 10-2; KVM's struct
 * kvm_smram_state_64, which sim/engine_smm.c writes), offsets from SMBASE +
 * 0xfe00. */
#define SS_CS_ATTR 0x12
#define SS_EFER 0xd0
#define SS_REVISION 0xfc
#define SS_SMBASE 0x100
#define SS_CR4 0x148
#define SS_CR3 0x150
#define SS_CR0 0x158
#define SS_DR7 0x160
#define SS_DR6 0x168
#define SS_RFLAGS 0x170
#define SS_CS_L 0x2000 /* CS attributes (descriptor bits 8-15, 20-23): L */
#define SS_MAX_FIELDS 10

/* The CR4 bits the image adds to a scenario's (SSE for its 8-byte moves). */
#define PROBE_CR4 (X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

struct ss_range {
	u16 off, len;
};

/* What QEMU's do_smm_enter() (target/i386/tcg/sysemu/smm_helper.c, the 64-bit
 * layout of qemu-system-x86_64) stores: segments, GDTR, LDTR, IDTR, TR, EFER,
 * revision, SMBASE, CR4, CR3, CR0, DR7, DR6, RFLAGS, RIP, GPRs -- CR0, CR4, DR6,
 * DR7 and RFLAGS as 4-byte stores into their 8-byte fields. Every other byte
 * keeps what memory held, where KVM's enter_smm() writes all 512. */
static const struct ss_range tcg_writes[] = {
	{0x00, 0x60}, {0x64, 0x0c}, {0x70, 0x10}, {0x84, 0x0c},	 {0x90, 0x10}, {0xd0, 8},
	{0xfc, 4},    {0x100, 4},   {0x148, 4},	  {0x150, 8},	 {0x158, 4},   {0x160, 4},
	{0x168, 4},   {0x170, 4},   {0x178, 8},	  {0x180, 0x80},
};

static bool tcg_writes_byte(unsigned off)
{
	for (size_t i = 0; i < MSC_ARRAY_SIZE(tcg_writes); i++)
		if (off >= tcg_writes[i].off &&
		    off < (unsigned)tcg_writes[i].off + tcg_writes[i].len)
			return true;
	return false;
}

/* A field the probe reads back after its SMI, and the value predicted. */
struct ss_field {
	u16 off;
	u8 size;
	u64 want;
};

/*
 * The fields compared, predicted from the simulator's save area @sim: CR0 as
 * the image loaded it (norm_cr0()), CR3, CR4 with the image's PROBE_CR4, EFER,
 * revision, SMBASE, DR6, DR7 (their low halves: QEMU stores 4 bytes), the CS
 * attributes where the image's CS is the scenario's (CPL 0, L in IA-32e mode)
 * and RFLAGS where the image can have it (2, AC).
 */
static unsigned smm_fields(const u8 *sim, struct ss_field *f)
{
	const u64 cr0 = msc_le_get(sim + SS_CR0, 8), cr4 = msc_le_get(sim + SS_CR4, 8);
	const u64 efer = msc_le_get(sim + SS_EFER, 8), rfl = msc_le_get(sim + SS_RFLAGS, 8);
	const u64 cs = msc_le_get(sim + SS_CS_ATTR, 2);
	unsigned n = 0;

	f[n++] = (struct ss_field){SS_CR0, 4, norm_cr0(cr0) & 0xffffffffULL};
	f[n++] = (struct ss_field){SS_CR3, 8, msc_le_get(sim + SS_CR3, 8)};
	f[n++] = (struct ss_field){SS_CR4, 4, (cr4 | PROBE_CR4) & 0xffffffffULL};
	f[n++] = (struct ss_field){SS_EFER, 8, efer};
	f[n++] = (struct ss_field){SS_REVISION, 4, msc_le_get(sim + SS_REVISION, 4)};
	f[n++] = (struct ss_field){SS_SMBASE, 4, msc_le_get(sim + SS_SMBASE, 4)};
	f[n++] = (struct ss_field){SS_DR6, 4, msc_le_get(sim + SS_DR6, 4)};
	f[n++] = (struct ss_field){SS_DR7, 4, msc_le_get(sim + SS_DR7, 4)};
	if (!((cs >> 5) & 3) && (!(efer & X86_EFER_LMA) || (cs & SS_CS_L)))
		f[n++] = (struct ss_field){SS_CS_ATTR, 2, cs};
	if ((rfl & ~X86_RFLAGS_AC) == X86_RFLAGS_FIXED)
		f[n++] = (struct ss_field){SS_RFLAGS, 4, rfl};
	return n;
}

/* Turn what is left of the kept bytes of an earlier save area into taint. */
static void keep_flush(struct lower *l)
{
	for (unsigned i = 0; l->keep_any && i < SMM_SAVE_BYTES; i++)
		if (l->keep[i])
			taint(l, l->keep_gpa + i, 1,
			      "a state save area byte QEMU's SMI left alone");
	memset(l->keep, 0, sizeof(l->keep));
	l->keep_any = false;
}

/*
 * After a lowered SMI: which bytes of the save area at @area now differ
 * between the probe's RAM and the simulator's. Fields equal on both sides stay
 * usable; what QEMU stores with values the simulator does not model (segments,
 * descriptor tables, RIP, GPRs, a CR0/CR4 the image changed) is tainted; bytes
 * QEMU does not store keep their old value there, where the simulator wrote
 * its own (l->keep, tcg-smm-save-partial).
 */
static void smm_classify(struct lower *l, u64 area, const u8 *sim, const struct ss_field *f,
			 unsigned n)
{
	u8 exact[SMM_SAVE_BYTES] = {0};
	unsigned run = 0;

	keep_flush(l);
	l->keep_gpa = area;
	for (unsigned i = 0; i < n; i++)
		if (f[i].want == msc_le_get(sim + f[i].off, f[i].size))
			memset(exact + f[i].off, 1, f[i].size);
	for (unsigned i = 0; i <= SMM_SAVE_BYTES; i++) {
		bool bad = false;

		if (i < SMM_SAVE_BYTES && !exact[i]) {
			if (tcg_writes_byte(i) || !l->smm_old_ok) {
				bad = true;
			} else if (l->smm_old[i] != sim[i]) {
				l->keep[i] = 1;
				l->keep_old[i] = l->smm_old[i];
				l->keep_any = true;
			}
		}
		if (bad) {
			run++;
			continue;
		}
		if (run)
			taint(l, area + i - run, run,
			      "an SMM state save area field the simulator does not model "
			      "(segments, "
			      "descriptor tables, RIP, GPRs) or the image set (CR0, CR4)");
		run = 0;
	}
}

/* A READ over kept bytes: the value with them as QEMU left them. */
static void smm_keep_pred(struct lower *l, struct lower_pred *p)
{
	u64 v = p->value;
	bool any = false;

	if (!l->keep_any || p->gpa + p->size <= l->keep_gpa ||
	    p->gpa >= l->keep_gpa + SMM_SAVE_BYTES)
		return;
	for (unsigned b = 0; b < p->size; b++) {
		u64 a = p->gpa + b;

		if (a < l->keep_gpa || a >= l->keep_gpa + SMM_SAVE_BYTES ||
		    !l->keep[a - l->keep_gpa])
			continue;
		v &= ~(0xffULL << (8 * b));
		v |= (u64)l->keep_old[a - l->keep_gpa] << (8 * b);
		any = true;
	}
	if (any) {
		p->has_smm_old = true;
		p->smm_old_value = v;
	}
}

/*
 * A store while the image is in SMM over its live save area: RSM loads that
 * area into the probe's CPU, so only the SMBASE field (relocation) and bytes
 * QEMU's RSM does not read are written; anything else would hand the image
 * registers it cannot run with. Such a store is not lowered (a skip, the bytes
 * tainted) and the simulator's mode is sent after RSM. Any store over kept
 * bytes makes them equal again.
 */
static bool smm_write_blocked(struct lower *l, u64 gpa, u8 size)
{
	for (u64 a = gpa; l->keep_any && a < gpa + size; a++)
		if (a >= l->keep_gpa && a < l->keep_gpa + SMM_SAVE_BYTES)
			l->keep[a - l->keep_gpa] = 0;
	if (!l->host_smm || gpa + size <= l->smm_area || gpa >= l->smm_area + SMM_SAVE_BYTES)
		return false;
	for (u64 a = gpa; a < gpa + size; a++) {
		u64 off = a - l->smm_area;

		if (a < l->smm_area || off >= SMM_SAVE_BYTES)
			continue;
		if ((off < SS_SMBASE || off >= SS_SMBASE + 4) && tcg_writes_byte((unsigned)off)) {
			note(l, l->step, true,
			     "write to 0x%llx: the live SMM state save area (the probe's RSM would "
			     "load it)",
			     (unsigned long long)gpa);
			taint(l, gpa, size, "a save-area store that was not probed");
			l->smm_mode_after = true;
			return true;
		}
	}
	return false;
}

static void smm_save_skip(struct lower *l)
{
	l->smm_skip = NULL;
	if (l->mode_skip) {
		snprintf(l->smm_skip_buf, sizeof(l->smm_skip_buf), "%s", l->mode_skip);
		l->smm_skip = l->smm_skip_buf;
	}
}

static const char *smi_skip(struct lower *l, const struct sim_event *ev, char *buf, size_t n)
{
	const u64 smbase = ev->u.smm.smbase, area = ev->u.smm.gpa;
	const u64 handler = smbase + HB_SMM_HANDLER_OFF;

	if (ev->u.smm.bits != 64)
		return "the scenario's CPU lacks long mode: KVM writes its 32-bit save-area "
		       "layout, the probe's CPU (-cpu max) the 64-bit one";
	if (!l->host_paging)
		return "paging is off: the probe's home registers are not the scenario's";
	if (l->nested)
		return "in L2: the image takes the SMI in L1, where the CPU saves L2's state";
	if (l->mode_skip) {
		snprintf(buf, n, "the mode is not probed (%s)", l->mode_skip);
		return buf;
	}
	if (smbase != l->host_smbase) {
		snprintf(buf, n, "SMBASE 0x%llx, where the probe's CPU has 0x%llx",
			 (unsigned long long)smbase, (unsigned long long)l->host_smbase);
		return buf;
	}
	if (!in_probe_mem(handler, HB_SMM_STUB_BYTES) || !in_probe_mem(area, SMM_SAVE_BYTES)) {
		snprintf(buf, n,
			 "SMBASE 0x%llx: the handler or the save area is outside the probe's "
			 "scenario memory (the image cannot put its handler into SMRAM)",
			 (unsigned long long)smbase);
		return buf;
	}
	if (!as1_is_ram(l, handler, HB_SMM_STUB_BYTES) || !as1_is_ram(l, area, SMM_SAVE_BYTES))
		return "the handler or the save area is SMRAM, not RAM of address space 0";
	if (in_slot(l, handler, HB_SMM_STUB_BYTES) || in_slot(l, area, SMM_SAVE_BYTES))
		return "the handler or the save area overlaps the harness window slot";
	return NULL;
}

/* SIM_SMM_SAVE: enter_smm() wrote the save area; SMI, then READ of its fields. */
static void lower_smi(struct lower *l, const struct sim_event *ev)
{
	const u64 area = ev->u.smm.gpa;
	struct ss_field f[SS_MAX_FIELDS];
	u8 sim[SMM_SAVE_BYTES];
	struct lower_pred *p;
	struct hb_cmd *c;
	char buf[200];
	const char *why = smi_skip(l, ev, buf, sizeof(buf));
	unsigned n;

	if (!why && gmem_read(sim_gmem(l->sim), 1, area, sim, SMM_SAVE_BYTES))
		why = "the simulator's state save area cannot be read";
	smm_save_skip(l);
	if (why) {
		note(l, ev->step, true, "smi: %s", why);
		if (as1_is_ram(l, area, SMM_SAVE_BYTES))
			taint(l, area, SMM_SAVE_BYTES,
			      "the SMM state save area of an SMI that was not probed");
		l->smm_unprobed = true;
		return;
	}
	touch(l, ev->u.smm.smbase + HB_SMM_HANDLER_OFF, HB_SMM_STUB_BYTES);
	touch(l, area, SMM_SAVE_BYTES);
	c = push(l, HB_OP_SMI);
	if (!c)
		return;
	c->a = ev->u.smm.smbase;
	if (msc_le_get(sim + SS_RFLAGS, 8) & X86_RFLAGS_AC)
		c->flags = HB_F_AC;
	p = pred_add(l, HB_OP_SMI);
	if (!p)
		return;
	p->noutcomes = 1;
	p->outcomes[0].vector = HB_NO_VECTOR;
	p->outcomes[0].why = "sim";
	l->host_smm = true;
	l->smm_area = area;
	n = smm_fields(sim, f);
	smm_classify(l, area, sim, f, n);
	for (unsigned i = 0; i < n; i++) {
		c = push(l, HB_OP_READ);
		if (!c)
			return;
		c->a = area + f[i].off;
		c->size = f[i].size;
		p = pred_add(l, HB_OP_READ);
		if (!p)
			return;
		p->gpa = c->a;
		p->size = f[i].size;
		p->value = f[i].want;
	}
}

/* SIM_SMM_LOAD (RSM in SMM) and SIM_SMM_UD (RSM outside SMM). */
static void lower_rsm(struct lower *l, const struct sim_event *ev)
{
	struct lower_pred *p;
	u8 b[4];

	if (ev->u.smm.what == SIM_SMM_LOAD && !l->host_smm) {
		if (l->smm_unprobed)
			note(l, ev->step, true, "rsm: the SMI was not probed");
		l->smm_unprobed = false;
		set_mode_skip(l, l->smm_skip);
		return;
	}
	if (ev->u.smm.what == SIM_SMM_UD && l->host_smm) {
		note(l, ev->step, true, "rsm: the probe is in SMM where the simulator is not");
		return;
	}
	if (!push(l, HB_OP_RSM))
		return;
	p = pred_add(l, HB_OP_RSM);
	if (!p)
		return;
	p->noutcomes = 1;
	p->outcomes[0].vector = ev->u.smm.what == SIM_SMM_UD ? X86_VEC_UD : HB_NO_VECTOR;
	p->outcomes[0].why = "sim";
	if (ev->u.smm.what == SIM_SMM_UD)
		return;
	/* The probe's CPU loads the SMBASE field (revision bit 17), as the
	 * simulator does; its mode is the one the SMI interrupted. */
	if (!gmem_read(sim_gmem(l->sim), 1, ev->u.smm.gpa + SS_SMBASE, b, 4))
		l->host_smbase = msc_le_get(b, 4);
	l->host_smm = false;
	set_mode_skip(l, l->smm_skip);
	if (l->smm_mode_after)
		l->force_mode = true;
	l->smm_mode_after = false;
}

static void on_smm(struct lower *l, const struct sim_event *ev)
{
	if (ev->vcpu != 0) {
		if (ev->u.smm.what == SIM_SMM_SAVE && as1_is_ram(l, ev->u.smm.gpa, SMM_SAVE_BYTES))
			taint(l, ev->u.smm.gpa, SMM_SAVE_BYTES,
			      "the SMM state save area of another vCPU's SMI");
		return;
	}
	switch (ev->u.smm.what) {
	case SIM_SMM_TRANSITION:
		/* Before the save area is written: what QEMU will leave in place. */
		if (ev->u.smm.entering)
			l->smm_old_ok = !gmem_read(sim_gmem(l->sim), 1, ev->u.smm.gpa, l->smm_old,
						   SMM_SAVE_BYTES);
		break;
	case SIM_SMM_SAVE:
		lower_smi(l, ev);
		break;
	case SIM_SMM_LOAD:
	case SIM_SMM_UD:
		lower_rsm(l, ev);
		break;
	}
}

/* ---- the sink ---- */

static void on_mem_write(struct lower *l, const struct sim_event *ev, u8 as, u64 gpa, u64 val,
			 u8 size, bool dropped)
{
	const char *why;

	if (l->op == SCN_OP_ACCESS && ev->kind == SIM_EV_MEM_WRITE) {
		/* The access's own store: the probe makes it (or sync_skipped_access). */
		l->store = (struct pending_store){true, dropped, gpa, val, size, as};
		return;
	}
	if (dropped)
		return; /* memory did not change */
	if (as != 0 && !as1_is_ram(l, gpa, size)) {
		note(l, ev->step, true, "write to 0x%llx in address space %u",
		     (unsigned long long)gpa, as);
		taint(l, gpa, size, "written through address space 1");
		return;
	}
	if (in_slot(l, gpa, size)) {
		note(l, ev->step, true,
		     "write to 0x%llx: the harness window slot of the active root",
		     (unsigned long long)gpa);
		return;
	}
	why = mem_unusable(l, gpa, size, false);
	if (why && !tainted(l, gpa, size)) {
		note(l, ev->step, true, "write to 0x%llx: %s", (unsigned long long)gpa, why);
		return;
	}
	emit_write(l, gpa, val, size);
}

static void on_flush(struct lower *l, const struct sim_event *ev)
{
	const char *what = ev->u.flush.what ? ev->u.flush.what : "";
	struct hb_cmd *c;
	bool invlpg;

	if (ev->vcpu != 0)
		return;
	if (!strncmp(what, "invpcid", 7) && ev->u.flush.vector) {
		note(l, ev->step, true, "INVPCID refused with vector %u: not probed",
		     ev->u.flush.vector);
		return;
	}
	invlpg = !strcmp(what, "invlpg") || !strcmp(what, "invpcid.addr");
	if (!invlpg && strcmp(what, "flush") && strncmp(what, "invpcid", 7))
		return; /* cr0/cr3/cr4 writes and #PF: implied by MODE/CR3/ACCESS */
	if (!l->host_paging || l->mode_skip)
		return; /* no translation cached by the probe in this mode */
	if (l->nested) {
		note(l, ev->step, false,
		     "%s in L2 not lowered: each L2 access is a VMRUN (TCG flushes there) and "
		     "cached translations in L2 are not probed",
		     what);
		return;
	}
	if (!strncmp(what, "invpcid", 7))
		note(l, ev->step, false, "%s lowered as %s (flushes at least as much)", what,
		     invlpg ? "INVLPG" : "a full flush");
	c = push(l, invlpg ? HB_OP_INVLPG : HB_OP_FLUSH);
	if (c && invlpg)
		c->a = ev->u.flush.va;
}

static void on_step(struct lower *l, const struct sim_event *ev)
{
	const struct scn_step *st = ev->u.step.st;

	l->step = ev->step;
	l->op = ev->u.step.op;
	l->vcpu = ev->vcpu;
	l->st = st;
	l->mode_written = l->cr3_written = false;
	memset(&l->store, 0, sizeof(l->store));
	l->nwalk = 0;
	switch (ev->u.step.op) {
	case SCN_OP_SMI:
	case SCN_OP_RSM:
		if (ev->vcpu != 0)
			note(l, ev->step, true, "%s on vCPU %u (the probe runs vCPU 0 only)",
			     scn_op_name(ev->u.step.op), ev->vcpu);
		break; /* on_smm() */
	case SCN_OP_VMENTRY:
		if (ev->vcpu != 0)
			note(l, ev->step, true, "vmentry on vCPU %u (the probe runs vCPU 0 only)",
			     ev->vcpu);
		break; /* sync_mode(): lowered, or a note why not */
	case SCN_OP_VMEXIT:
		if (ev->vcpu != 0 || !l->nested)
			note(l, ev->step, true, "vmexit: its vmentry was not lowered");
		break;
	case SCN_OP_PRE_FAULT:
	case SCN_OP_ZAP_ALL:
		note(l, ev->step, false, "%s is KVM-only: no architectural effect",
		     scn_op_name(ev->u.step.op));
		break;
	case SCN_OP_MEMSLOT_ADD:
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
		note(l, ev->step, true, "%s: memslot changes are not probed",
		     scn_op_name(ev->u.step.op));
		break;
	case SCN_OP_SET:
	case SCN_OP_INVLPG:
	case SCN_OP_INVPCID:
	case SCN_OP_FLUSH_TLB:
		if (ev->vcpu != 0)
			note(l, ev->step, true, "%s on vCPU %u (the probe runs vCPU 0 only)",
			     scn_op_name(ev->u.step.op), ev->vcpu);
		break;
	case SCN_OP_MAP:
	case SCN_OP_UNMAP:
	case SCN_OP_SET_ENTRY:
	case SCN_OP_MEM_WRITE:
	case SCN_OP_MEM_READ:
	case SCN_OP_ACCESS:
	case SCN_OP_EXPECT:
		break;
	}
}

static void sink(void *ctx, const struct sim_event *ev)
{
	struct lower *l = ctx;

	if (l->err)
		return;
	switch (ev->kind) {
	case SIM_EV_STEP:
		on_step(l, ev);
		break;
	case SIM_EV_REG_WRITE:
		if (ev->vcpu != 0 || l->op != SCN_OP_SET)
			break; /* SMM/nested transitions: sync_mode() sees their result */
		if (ev->u.reg.vector) {
			note(l, ev->step, true, "%s write refused with vector %u: not probed",
			     scn_reg_name(ev->u.reg.reg), ev->u.reg.vector);
		} else if (ev->u.reg.reg == SCN_REG_CR3) {
			l->cr3_written = true;
		} else if (ev->u.reg.reg != SCN_REG_CPL && ev->u.reg.reg != SCN_REG_RFLAGS) {
			l->mode_written = true;
		}
		break;
	case SIM_EV_PT_WRITE:
		on_mem_write(l, ev, ev->u.pt.as, ev->u.pt.gpa, ev->u.pt.val, ev->u.pt.size,
			     ev->u.pt.dropped);
		break;
	case SIM_EV_MEM_WRITE:
		on_mem_write(l, ev, ev->u.mem.as, ev->u.mem.gpa, ev->u.mem.val, ev->u.mem.size,
			     ev->u.mem.dropped || ev->u.mem.unbacked);
		break;
	case SIM_EV_MEM_READ: {
		const char *why = ev->u.mem.as && !as1_is_ram(l, ev->u.mem.gpa, ev->u.mem.size)
					  ? "address space 1 (not RAM of address space 0)"
					  : mem_unusable(l, ev->u.mem.gpa, ev->u.mem.size, false);
		struct hb_cmd *c;
		struct lower_pred *p;

		if (why) {
			note(l, ev->step, true, "mem_read 0x%llx: %s",
			     (unsigned long long)ev->u.mem.gpa, why);
			break;
		}
		c = push(l, HB_OP_READ);
		if (!c)
			break;
		c->a = ev->u.mem.gpa;
		c->size = ev->u.mem.size;
		touch(l, ev->u.mem.gpa, ev->u.mem.size);
		p = pred_add(l, HB_OP_READ);
		if (p) {
			p->gpa = ev->u.mem.gpa;
			p->size = ev->u.mem.size;
			p->value = ev->u.mem.val;
			smm_keep_pred(l, p);
		}
		break;
	}
	case SIM_EV_WALK:
		/* Remembered in case the access is not lowered (sync_skipped_access). */
		for (u32 i = 0; i < ev->u.walk.res->nsteps && l->nwalk < MAX_WALK_PAS; i++) {
			const struct walk_step *ws = &ev->u.walk.res->steps[i];

			u64 pa = ws->pte_pa;

			if (!(ws->flags & WALK_STEP_AD_SET))
				continue;
			if (l->nested) {
				/* L2: its own entries are at L2 gpas, the NPT's L1-physical */
				if (!ws->stage)
					pa = npt_translate(l, l->ncr3, pa);
				if (pa == UINT64_MAX)
					continue;
			} else if (ws->stage) {
				continue;
			}
			l->walk_sizes[l->nwalk] = ev->u.walk.g->fmt == WALK_FMT_32 ? 4 : 8;
			l->walk_pas[l->nwalk++] = pa;
		}
		break;
	case SIM_EV_TLB_FLUSH:
		on_flush(l, ev);
		break;
	case SIM_EV_ACCESS:
		lower_access(l, ev);
		break;
	case SIM_EV_MEMSLOT:
		if (ev->u.memslot.slot && ev->u.memslot.slot->as == 0 &&
		    strcmp(ev->u.memslot.what, "flags"))
			taint(l, ev->u.memslot.slot->gpa, ev->u.memslot.slot->size,
			      "memory changed by a memslot change");
		break;
	case SIM_EV_INSN:
	case SIM_EV_TLB_HIT:
	case SIM_EV_TLB_FILL:
	case SIM_EV_EXPECT_FAIL:
	case SIM_EV_DIVERGENCE:
	case SIM_EV_MMU:
		break;
	case SIM_EV_SMM:
		on_smm(l, ev);
		break;
	case SIM_EV_PRE_FAULT:
	case SIM_EV_VMEXIT:
	case SIM_EV_NESTED:
		break;
	}
}

/* ---- the case ---- */

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* CASE, then ZERO of every page the case touches, then the commands. */
static int prepend_case(struct lower *l, u32 case_id)
{
	struct lower_result *o = l->out;
	struct hb_batch body = o->batch, head;
	u32 added;
	int r = 0;

	hb_init(&head);
	if (l->npages)
		qsort(l->pages, l->npages, sizeof(*l->pages), cmp_u64);
	{
		struct hb_cmd c;

		memset(&c, 0, sizeof(c));
		c.op = HB_OP_CASE;
		c.a = case_id;
		c.id = LOWER_STEP_NONE;
		r = hb_push(&head, &c);
	}
	for (size_t i = 0; i < l->npages && !r;) {
		size_t j = i + 1;
		struct hb_cmd c;

		while (j < l->npages && l->pages[j] <= l->pages[j - 1] + PAGE_SIZE)
			j++;
		memset(&c, 0, sizeof(c));
		c.op = HB_OP_ZERO;
		c.id = LOWER_STEP_NONE;
		c.a = l->pages[i];
		c.b = l->pages[j - 1] + PAGE_SIZE - l->pages[i];
		r = hb_push(&head, &c);
		i = j;
	}
	added = head.ncmds;
	for (u32 i = 0; i < body.ncmds && !r; i++)
		r = hb_push(&head, &body.cmds[i]);
	if (r) {
		hb_free(&head);
		return r;
	}
	head.cpu_off = body.cpu_off;
	head.maxphyaddr = body.maxphyaddr;
	hb_free(&o->batch);
	o->batch = head;
	for (u32 i = 0; i < o->npreds; i++)
		o->preds[i].cmd += added;
	for (u32 i = 0; i < o->nnotes; i++)
		o->notes[i].before_cmd += added;
	return 0;
}

int host_lower(const struct scenario *s, u32 case_id, struct lower_result *out,
	       struct scn_error *err)
{
	struct lower l;
	int r;

	memset(out, 0, sizeof(*out));
	hb_init(&out->batch);
	memset(&l, 0, sizeof(l));
	l.s = s;
	l.out = out;
	l.step = LOWER_STEP_NONE;
	l.host.cr0 = X86_CR0_PE;
	l.host_smbase = SMM_DEFAULT_SMBASE;
	r = sim_create(&l.sim, s, err);
	if (r)
		return r;
	r = sim_add_sink(l.sim, sink, &l);
	if (r)
		goto out;
	{
		/* The scenario's CPU, for runners that can shape theirs. */
		const struct cpu_features *f = sim_features(l.sim);

		out->batch.maxphyaddr = f->maxphyaddr;
		out->batch.cpu_off =
			(f->gbpages ? 0 : HB_CPU_NO_1G) | (f->la57 ? 0 : HB_CPU_NO_LA57) |
			(f->pku ? 0 : HB_CPU_NO_PKU) | (f->smep ? 0 : HB_CPU_NO_SMEP) |
			(f->smap ? 0 : HB_CPU_NO_SMAP) | (f->nx ? 0 : HB_CPU_NO_NX) |
			(f->pge ? 0 : HB_CPU_NO_PGE) | (f->pse36 ? 0 : HB_CPU_NO_PSE36);
	}
	sync_mode(&l); /* the initial registers */
	for (;;) {
		r = sim_step(l.sim, err);
		if (r)
			break;
		if (l.err)
			break;
		l.step = sim_steps_done(l.sim) - 1;
		sync_mode(&l);
	}
	if (r == 1)
		r = 0;
	if (!r)
		r = l.err;
	if (!r)
		r = prepend_case(&l, case_id);
	if (!r) {
		u32 done = 0;

		for (u32 i = 0; i < out->batch.ncmds; i++)
			if (out->batch.cmds[i].id != LOWER_STEP_NONE &&
			    (i == 0 || out->batch.cmds[i].id != out->batch.cmds[i - 1].id))
				done++;
		out->steps_lowered = done;
		for (u32 i = 0; i < out->npreds; i++)
			if (out->preds[i].op == HB_OP_ACCESS || out->preds[i].op == HB_OP_READ)
				break;
			else if (i + 1 == out->npreds)
				out->skipped = true;
		if (!out->npreds)
			out->skipped = true;
		if (out->skipped) {
			snprintf(out->why, sizeof(out->why), "nothing to probe");
			for (u32 i = 0; i < out->nnotes; i++)
				if (out->notes[i].skip) {
					snprintf(out->why, sizeof(out->why),
						 "nothing to probe (%s)", out->notes[i].text);
					break;
				}
		}
	}
out:
	sim_destroy(l.sim);
	free(l.pages);
	free(l.taints);
	return r;
}

void host_lower_free(struct lower_result *r)
{
	if (!r)
		return;
	hb_free(&r->batch);
	free(r->preds);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}

/* ---- text ---- */

static const char *kind_name(u8 k)
{
	switch (k) {
	case HB_KIND_READ:
		return "read";
	case HB_KIND_WRITE:
		return "write";
	case HB_KIND_FETCH:
		return "fetch";
	default:
		return "?";
	}
}

int host_lower_format_cmd(const struct hb_cmd *c, char *buf, size_t n)
{
	unsigned long long a = c->a, b = c->b;

	switch (c->op) {
	case HB_OP_CASE:
		return snprintf(buf, n, "case %llu", a);
	case HB_OP_ZERO:
		return snprintf(buf, n, "zero 0x%llx +0x%llx", a, b);
	case HB_OP_WRITE:
		return snprintf(buf, n, "write 0x%llx size %u value 0x%llx", a, c->size, b);
	case HB_OP_READ:
		return snprintf(buf, n, "read 0x%llx size %u", a, c->size);
	case HB_OP_MODE:
		return snprintf(buf, n,
				"mode cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx pkru 0x%llx%s",
				a, b, (unsigned long long)c->c, (unsigned long long)c->d,
				(unsigned long long)c->e, (c->flags & HB_F_CS64) ? " cs64" : "");
	case HB_OP_ACCESS:
		if (c->kind == HB_KIND_WRITE)
			return snprintf(buf, n,
					"access write va 0x%llx size %u cpl %u%s value 0x%llx", a,
					c->size, c->cpl, (c->flags & HB_F_AC) ? " ac" : "", b);
		return snprintf(buf, n, "access %s va 0x%llx size %u cpl %u%s", kind_name(c->kind),
				a, c->size, c->cpl, (c->flags & HB_F_AC) ? " ac" : "");
	case HB_OP_INVLPG:
		return snprintf(buf, n, "invlpg 0x%llx", a);
	case HB_OP_FLUSH:
		return snprintf(buf, n, "flush");
	case HB_OP_CR3:
		return snprintf(buf, n, "cr3 0x%llx", b);
	case HB_OP_SMI:
		return snprintf(buf, n, "smi smbase 0x%llx%s", a,
				(c->flags & HB_F_AC) ? " ac" : "");
	case HB_OP_RSM:
		return snprintf(buf, n, "rsm");
	case HB_OP_VMRUN_MODE:
		return snprintf(
			buf, n,
			"vmrun-mode cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx ncr3 0x%llx "
			"root 0x%llx asid %u",
			a, b, (unsigned long long)c->c, (unsigned long long)c->d,
			(unsigned long long)c->e, (unsigned long long)c->f, c->asid);
	case HB_OP_VMEXIT:
		return snprintf(buf, n, "vmexit");
	default:
		return snprintf(buf, n, "op %u", c->op);
	}
}

static const char *vector_name(u8 v)
{
	switch (v) {
	case X86_VEC_PF:
		return "#PF";
	case X86_VEC_GP:
		return "#GP";
	case X86_VEC_UD:
		return "#UD";
	case 17:
		return "#AC";
	case 12:
		return "#SS";
	default:
		return NULL;
	}
}

int host_lower_format_outcome(const struct lower_outcome *o, char *buf, size_t n)
{
	const char *name = vector_name(o->vector);

	if (o->npf)
		return snprintf(buf, n, "#NPF exitinfo1 0x%llx exitinfo2 0x%llx",
				(unsigned long long)o->exitinfo1, (unsigned long long)o->exitinfo2);
	if (o->vector == HB_NO_VECTOR)
		return o->has_value
			       ? snprintf(buf, n, "ok value 0x%llx", (unsigned long long)o->value)
			       : snprintf(buf, n, "ok");
	if (o->vector == X86_VEC_PF)
		return snprintf(buf, n, "#PF ec 0x%x cr2 0x%llx", o->error_code,
				(unsigned long long)o->cr2);
	if (name)
		return snprintf(buf, n, "%s ec 0x%x", name, o->error_code);
	return snprintf(buf, n, "vector %u ec 0x%x", o->vector, o->error_code);
}
