/* SPDX-License-Identifier: MIT */
/*
 * The engine's KVM MMU glue: the VM's MMU state (struct mmu_vm) and one MMU per
 * vCPU (struct mmu_vcpu), kept in step with the architectural registers the way
 * arch/x86/kvm/x86.c does it (kvm_post_set_cr0, kvm_post_set_cr4, kvm_set_cr3,
 * set_efer), roots reloaded before each guest access (vcpu_enter_guest ->
 * kvm_mmu_reload), fast zaps (zap_all, memslot delete), the MMU's events as
 * SIM_EV_MMU, and the MMU expectations (root_cache, role, stats, shadow_pages).
 *
 * Guest accesses run through KVM's tables (sim/engine_ops.c, the hardware loop):
 * the shadow tables of a shadow-paging machine, or the guest's tables and then
 * KVM's EPT/NPT tables of a TDP machine; exits enter mmu_page_fault(). Guest
 * writes to write-protected page tables are emulated and reach
 * kvm_mmu_track_write() (sim_mmu_emulated_write()), or unsync the gfn
 * (sim_mmu_store_trapped()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/audit.h"
#include "mmu/nested.h"
#include "mmu/sync.h"
#include "mmu/tdp_mmu.h"
#include "mmu/track.h"
#include "sim/engine_priv.h"

typedef unsigned long long ull;

/* Host frames of guest memory start here, far above hmem's table pages. */
/* SIM_GUEST_PFN_BASE: engine_priv.h */
/* SMM (address space 1) memory that aliases nothing gets its own host range. */
#define SIM_GUEST_PFN_AS1 (1ULL << 36)
/*
 * The host's MAXPHYADDR for legacy/NPT SPTEs (boot_cpu_data.x86_phys_bits): 51,
 * so bit 51 is a reserved physical-address bit and KVM caches MMIO in SPTEs
 * (kvm_mmu_reset_all_pte_masks()); the hardware loop walks with it. Every host
 * frame of guest memory must stay below 2^(51 - 12).
 */
#define SIM_HOST_MAXPHYADDR 51

/*
 * The scenario memslot now installed as (as, id) at @base: the latest
 * memslot_add step before the current one, else the machine's own.
 */
static const struct scn_memslot *slot_desc(const struct sim *sim, u8 as, u16 id, u64 base)
{
	const struct scenario *s = sim->s;

	/* Scanning the steps costs O(steps) per lookup: only scenarios that add
	 * memslots need it (every guest frame's pfn comes through here). */
	for (u32 i = sim->memslot_steps ? sim->cur + 1 : 0; i-- > 0;) {
		const struct scn_step *st = i < s->nsteps ? &s->steps[i] : NULL;

		if (st && st->op == SCN_OP_MEMSLOT_ADD && st->u.slot.as == as &&
		    st->u.slot.id == id && st->u.slot.gpa == base)
			return &st->u.slot;
	}
	for (unsigned i = 0; i < s->machine.nslots; i++) {
		const struct scn_memslot *sl = &s->machine.slots[i];

		if (sl->as == as && sl->id == id && sl->gpa == base)
			return sl;
	}
	return NULL;
}

/*
 * KVM's gfn -> pfn (__gfn_to_pfn_memslot through the memslot's userspace
 * mapping), modelled deterministically: an alias is followed to the slot whose
 * backing it shares, so an alias and its target give the same pfn; the pfn is
 * SIM_GUEST_PFN_BASE + the target's guest frame (+ SIM_GUEST_PFN_AS1 for SMM
 * memory). Read-only memslots map read-only.
 */
static bool sim_gfn_to_pfn(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable)
{
	struct sim *sim = ctx;
	struct gmem_slot_info info;
	const struct scn_memslot *sl;
	u64 gpa = gfn << PAGE_SHIFT;
	u8 tas = as;

	if (!gmem_slot_find(sim->mc->mem, as, gpa, &info))
		return false;
	*writable = !(info.flags & GMEM_SLOT_READONLY);
	for (unsigned hops = 0; hops < 4; hops++) {
		sl = slot_desc(sim, info.as, info.id, info.base);
		if (!sl || !sl->alias)
			break;
		gpa = gpa - info.base + sl->alias_offset;
		tas = sl->alias_as;
		/* The target's base: find it among the target address space's slots. */
		for (unsigned i = 0, n = gmem_slot_count(sim->mc->mem, tas); i < n; i++) {
			struct gmem_slot_info t;

			gmem_slot_get(sim->mc->mem, tas, i, &t);
			if (t.id == sl->alias_id) {
				gpa += t.base;
				info = t;
				break;
			}
		}
	}
	*pfn = SIM_GUEST_PFN_BASE + (gpa >> PAGE_SHIFT) + (tas ? SIM_GUEST_PFN_AS1 : 0);
	return true;
}

/*
 * The inverse of sim_gfn_to_pfn() for the hardware loop: the guest frame a host
 * frame of guest memory stands for. Aliases make gfn -> pfn many-to-one, so a
 * gfn in @hints (the gfns the architecture names) that maps to @pfn is preferred;
 * otherwise the frame's own (target) gfn. False for a frame that is not guest
 * memory (a table page, or nothing).
 */
bool sim_pfn_to_gfn(struct sim *sim, u8 as, hfn_t pfn, const gfn_t *hints, unsigned nhints,
		    gfn_t *gfn)
{
	hfn_t p;
	bool w;

	for (unsigned i = 0; i < nhints; i++) {
		if (sim_gfn_to_pfn(sim, as, hints[i], &p, &w) && p == pfn) {
			*gfn = hints[i];
			return true;
		}
	}
	if (pfn < SIM_GUEST_PFN_BASE)
		return false;
	pfn -= SIM_GUEST_PFN_BASE;
	if (pfn >= SIM_GUEST_PFN_AS1)
		pfn -= SIM_GUEST_PFN_AS1;
	*gfn = pfn;
	return true;
}

/*
 * The host frames sim_gfn_to_pfn() gives each memslot of the scenario (the
 * machine's and every memslot_add step's; an alias uses its target's frames)
 * must fit below 2^(@host_bits - 12): a positioned error names the first that
 * does not, rather than an SPTE with a truncated or reserved frame.
 */
static int check_guest_pfns(struct sim *sim, unsigned host_bits, struct scn_error *err)
{
	const struct scenario *s = sim->s;
	const u64 limit = 1ULL << (host_bits - PAGE_SHIFT);
	char path[64];

	for (u32 i = 0; i < s->machine.nslots + s->nsteps; i++) {
		const bool machine = i < s->machine.nslots;
		const struct scn_step *st = machine ? NULL : &s->steps[i - s->machine.nslots];
		const struct scn_memslot *sl = machine ? &s->machine.slots[i] : &st->u.slot;
		u64 last;

		if ((st && st->op != SCN_OP_MEMSLOT_ADD) || sl->alias || !sl->size)
			continue;
		last = SIM_GUEST_PFN_BASE + ((sl->gpa + sl->size - 1) >> PAGE_SHIFT) +
		       (sl->as ? SIM_GUEST_PFN_AS1 : 0);
		if (last < limit && last >= SIM_GUEST_PFN_BASE)
			continue;
		if (machine)
			snprintf(path, sizeof(path), "/machine/memslots/%u", (unsigned)i);
		else
			snprintf(path, sizeof(path), "/steps/%u",
				 (unsigned)(i - s->machine.nslots));
		sim_err(sim, err, machine ? sl->pos : st->pos, path,
			"memslot as %u gpa 0x%llx size 0x%llx: its host frames (2^28 + gfn%s) "
			"reach 0x%llx, beyond the simulated host's %u-bit physical addresses",
			(unsigned)sl->as, (ull)sl->gpa, (ull)sl->size, sl->as ? " + 2^36" : "",
			(ull)last, host_bits);
		return MSC_EINVAL;
	}
	return 0;
}

/* kvm_arch_memslots_updated() -> kvm_mmu_invalidate_mmio_sptes() on every swap. */
static void sim_memslots_updated(void *ctx, u8 as, u64 gen)
{
	(void)as;
	mmu_invalidate_mmio_sptes(ctx, gen);
}

/* The mmu_vm sink: every MMU event becomes a SIM_EV_MMU of the current step. */
static void mmu_sink(void *ctx, const struct mmu_event *mev)
{
	struct sim *sim = ctx;
	struct sim_event ev;

	if (mev->kind == MMU_EV_ROOT_HIT || mev->kind == MMU_EV_ROOT_MISS) {
		sim->obs.has_root_cache = true;
		sim->obs.root_cache_hit = mev->kind == MMU_EV_ROOT_HIT;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_MMU;
	ev.u.mmu.ev = mev;
	sim_emit(sim, &ev);
}

/* mmu_vm.sync_page: kvm_sync_page() for the vCPU that is running (KVM passes
 * the vCPU down through mmu_sync_children()). */
static int sim_sync_page(void *ctx, struct kvm_mmu_page *sp)
{
	struct sim *sim = ctx;

	return mmu_sync_page(&sim->mc->vcpu[sim->cur_vcpu].mmu, sp);
}

int sim_mmu_create(struct sim *sim, struct sim_machine *mc, struct scn_error *err)
{
	const struct scn_machine *m = &sim->s->machine;
	const struct cpu_features *f = &mc->feat;
	bool tdp = m->tdp != SCN_TDP_NONE;
	u8 level = 4, forced = 0;
	bool ad = true;
	int r;

	/* EPT keeps the guest's MAXPHYADDR as the host's (its SPTEs are not walked). */
	r = check_guest_pfns(sim, m->tdp == SCN_TDP_EPT ? 52 : SIM_HOST_MAXPHYADDR, err);
	if (r)
		return r;
	r = hmem_create(&mc->hmem, 0);
	if (r) {
		sim_err(sim, err, m->pos, "/machine", "host memory: %s", msc_strerror(r));
		return r;
	}
	if (m->tdp == SCN_TDP_EPT) {
		/* vmx_get_max_ept_level(), enable_ept_ad_bits. */
		level = f->ept.walk5 ? 5 : 4;
		ad = f->ept.ad;
		spte_masks_init_ept(&mc->masks, f->ept.ad, f->ept.execonly, f->maxphyaddr);
	} else {
		spte_masks_init_legacy(&mc->masks, SIM_HOST_MAXPHYADDR);
		if (m->tdp == SCN_TDP_NPT) {
			/* svm_hardware_setup(): NPT uses the host's paging level. */
			level = f->la57 ? 5 : 4;
			forced = level;
		}
	}
	r = mmu_vm_init(&mc->vm, mc->hmem, mc->mem, &mc->masks, sim_gfn_to_pfn, sim);
	if (r) {
		sim_err(sim, err, m->pos, "/machine", "MMU: %s", msc_strerror(r));
		return r;
	}
	mc->has_vm = true;
	mc->vm.tdp_enabled = tdp;
	/* host_pages: a hugetlbfs-like backing. sim_gfn_to_pfn()'s frames
	 * (SIM_GUEST_PFN_BASE + gfn, + SIM_GUEST_PFN_AS1 for SMM memory) are 1G
	 * aligned exactly where the gfns are, so a huge page of an aligned guest
	 * range is physically aligned; an alias at an unaligned offset is not, and
	 * host_pfn_mapping_level() (mmu/fault.c) backs it with 4K pages. */
	mc->vm.host_page_level = (u8)(1 + (unsigned)m->host_pages); /* PG_LEVEL_4K.. */
	/* kvm_configure_mmu()'s max_huge_page_level (PG_LEVEL_*: 1 4K, 2 2M, 3 1G):
	 * EPT: ept_caps_to_lpage_level(); NPT: 1G; shadow: 1G with GBPAGES, else 2M. */
	if (m->tdp == SCN_TDP_EPT)
		mc->vm.max_huge_page_level = f->ept.huge_1g ? 3 : f->ept.huge_2m ? 2 : 1;
	else if (m->tdp == SCN_TDP_NPT)
		mc->vm.max_huge_page_level = 3;
	else
		mc->vm.max_huge_page_level = f->gbpages ? 3 : 2;
	mc->vm.sink = mmu_sink;
	mc->vm.sink_ctx = sim;
	gmem_set_memslots_updated(mc->mem, sim_memslots_updated, &mc->vm);
	mc->vm.sync_page = sim_sync_page;
	/* Current KVM (v7.2, 0f38453cdb2e) checks write tracking in both address
	 * spaces. mmu_vm_init() leaves it off: the behaviour from 699023e23965 until
	 * that fix, under which an SMM write can unsync an upper-level page. */
	mc->vm.write_track_all_as = true;
	/* machine.variants: older (or proposed) KVM behaviours (mmu/variants.h). */
	for (unsigned i = 0; i < m->nvariants; i++) {
		int id = mmu_variant_lookup(m->variants[i], strlen(m->variants[i]));

		if (id >= 0)
			mc->vm.variants |= 1u << id;
	}
	if (mmu_variant(&mc->vm, MMU_VAR_WRITE_TRACK_ONE_AS))
		mc->vm.write_track_all_as = false;
	/* The legacy direct MMU's kvm_mmu_get_page() is what the variant changes;
	 * the TDP MMU (v5.10) came after the fix. */
	if (mmu_variant(&mc->vm, MMU_VAR_DIRECT_CR4_PAE) && tdp && m->tdp_mmu) {
		sim_err(sim, err, m->pos, "/machine/variants",
			"variant direct_cr4_pae_cleared predates the TDP MMU (v5.10): set "
			"machine.tdp_mmu false");
		return MSC_EINVAL;
	}
	/* No NX on the host: shadow_nx_mask stays 0 (kvm_mmu_reset_all_pte_masks()
	 * with shadow_nx_mask = 0), so make_spte() cannot make a page NX. */
	if (mmu_variant(&mc->vm, MMU_VAR_SHADOW_WITHOUT_NX)) {
		if (tdp) {
			sim_err(sim, err, m->pos, "/machine/variants",
				"variant shadow_without_nx is a shadow-paging host: set "
				"machine.tdp \"none\"");
			return MSC_EINVAL;
		}
		mc->masks.nx_mask = 0;
		mc->vm.masks.nx_mask = 0;
	}
	if (m->max_mmu_pages) {
		/* KVM_SET_NR_MMU_PAGES */
		r = mmu_vm_set_nr_mmu_pages(&mc->vm, m->max_mmu_pages);
		if (r) {
			sim_err(sim, err, m->pos, "/machine/max_mmu_pages",
				"max_mmu_pages %llu refused: %s (at least %u)",
				(ull)m->max_mmu_pages, msc_strerror(r), KVM_MIN_ALLOC_MMU_PAGES);
			return MSC_EINVAL;
		}
	}
	for (unsigned i = 0; i < mc->nvcpus; i++) {
		struct sim_vcpu *v = &mc->vcpu[i];

		/* kvm_mmu_create(), then kvm_init_mmu() from kvm_vcpu_reset(). */
		mmu_vcpu_init(&v->mmu, &mc->vm, tdp, level, forced, ad, f->maxphyaddr);
		/* tdp_mmu_enabled = tdp_mmu_allowed && tdp_enabled (kvm_configure_mmu()). */
		v->mmu.tdp_mmu_enabled = tdp && m->tdp_mmu;
		v->has_mmu = true;
		v->mmu.pdptr_regs = v->cpu.r.pdpte;
		mmu_init_context(&v->mmu, &v->cpu.r);
	}
	return 0;
}

void sim_mmu_destroy(struct sim_machine *mc)
{
	/* Teardown is no step: its frees and zaps are not reported. */
	mc->vm.sink = NULL;
	for (unsigned i = 0; i < SCN_MAX_VCPUS; i++)
		if (mc->vcpu[i].has_mmu)
			mmu_vcpu_destroy(&mc->vcpu[i].mmu);
	if (mc->has_vm)
		mmu_vm_destroy(&mc->vm);
	hmem_destroy(mc->hmem);
}

/* kvm_get_pcid(): a pgd's PCID, 0 without CR4.PCIDE. */
static u64 pgd_pcid(const struct cpu_regs *r, u64 pgd)
{
	return (r->cr4 & X86_CR4_PCIDE) ? pgd & X86_CR3_PCID_MASK : 0;
}

/* kvm_invalidate_pcid(): sync the active PCID's roots, free the prev_roots of @pcid. */
static void invalidate_pcid(struct sim_vcpu *v, u64 pcid)
{
	struct kvm_mmu *mmu = v->mmu.mmu;
	unsigned mask = 0;

	if (v->mmu.tdp_enabled) {
		v->req_tlb_flush_guest = true; /* KVM_REQ_TLB_FLUSH_GUEST only */
		return;
	}
	/* The active PCID: KVM_REQ_MMU_SYNC (and KVM_REQ_TLB_FLUSH_CURRENT, which
	 * the cpu/ TLB models). */
	if (pgd_pcid(&v->cpu.r, v->cpu.r.cr3) == pcid)
		v->req_mmu_sync = true;
	/* "If PCID is disabled, there is no need to free prev_roots even if the
	 * PCIDs for them are also 0": MOV to CR3 flushes everything then. */
	if (!(v->cpu.r.cr4 & X86_CR4_PCIDE))
		return;
	for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (mmu->prev_roots[i].hpa != INVALID_PAGE &&
		    pgd_pcid(&v->cpu.r, mmu->prev_roots[i].pgd) == pcid)
			mask |= KVM_MMU_ROOT_PREVIOUS(i);
	if (mask)
		mmu_free_roots(&v->mmu, mmu, mask);
}

void sim_mmu_invalidate(struct sim_vcpu *v, enum scn_op op, unsigned type, u64 va, u16 pcid,
			bool canonical)
{
	const struct cpu_regs *r = &v->cpu.r;
	struct mmu_vcpu *mv = &v->mmu;

	/* With TDP these instructions are not intercepted. */
	if (!v->has_mmu || mv->tdp_enabled)
		return;
	if (op == SCN_OP_INVLPG) {
		mmu_invlpg(mv, va, canonical); /* kvm_mmu_invlpg() */
	} else if (op == SCN_OP_INVPCID && type == 0) {
		/* kvm_handle_invpcid() */
		mmu_invpcid_gva(mv, va, pcid, (u16)pgd_pcid(r, r->cr3),
				(r->cr4 & X86_CR4_PCIDE) != 0);
	} else if (op == SCN_OP_INVPCID && type == 1) {
		invalidate_pcid(v, pcid);
	} else {
		/* INVPCID types 2 and 3 (a non-global flush degenerates to a global
		 * one) and the model's flush_tlb: KVM_REQ_TLB_FLUSH_GUEST. */
		v->req_tlb_flush_guest = true;
	}
}

/*
 * load_pdptrs(): a PAE-paging guest's PDPTEs are read again on MOV to CR3 and on
 * CR4 writes of X86_CR4_PDPTR_BITS; with shadow paging, changed PDPTEs free the
 * current root ("Shadow page roots need to be reconstructed instead").
 */
static void load_pdptrs(struct sim_vcpu *v)
{
	const struct cpu_regs *r = &v->cpu.r;
	struct kvm_mmu *mmu = v->mmu.mmu;

	if (v->mmu.tdp_enabled || !(r->cr0 & X86_CR0_PG) || !(r->cr4 & X86_CR4_PAE) ||
	    (r->efer & X86_EFER_LMA) || mmu->root.hpa == INVALID_PAGE)
		return;
	/* cpu/ loaded the PDPTE registers on the write. */
	if (memcmp(r->pdpte, mmu->pdptrs, sizeof(mmu->pdptrs)))
		mmu_free_roots(&v->mmu, mmu, KVM_MMU_ROOT_CURRENT);
}

void sim_mmu_post_write(struct sim *sim, struct sim_vcpu *v, enum scn_reg reg, u64 old, u64 val)
{
	const struct cpu_regs *r = &v->cpu.r;
	const u64 cr0_role = X86_CR0_PG | X86_CR0_WP;
	const u64 cr4_role = X86_CR4_PSE | X86_CR4_PAE | X86_CR4_LA57 | X86_CR4_SMEP |
			     X86_CR4_SMAP | X86_CR4_PKE;
	const u64 efer_role = X86_EFER_LME | X86_EFER_NXE;
	struct mmu_vcpu *mv = &v->mmu;
	u64 now = sim_read_reg(r, reg);

	(void)sim;
	if (!v->has_mmu)
		return;
	/* L2 under nested EPT/NPT: its paging controls are the hardware's (no exit
	 * to L0); kvm_init_mmu() keeps nested_mmu's role current for the emulator. */
	if (mmu_is_nested(mv)) {
		if (reg == SCN_REG_CR0 || reg == SCN_REG_CR4 || reg == SCN_REG_EFER)
			mmu_init_context(mv, r);
		return;
	}
	switch (reg) {
	case SCN_REG_CR0:
		/* kvm_post_set_cr0() (>= v6.4): a WP-only change with PG=0 needs
		 * nothing; with TDP it only re-inits the context (no unload). */
		if ((now ^ old) == X86_CR0_WP && !mmu_variant(mv->vm, MMU_VAR_CR0_WP_UNLOAD)) {
			if (!(now & X86_CR0_PG))
				return;
			if (mv->tdp_enabled) {
				mmu_init_context(mv, r);
				return;
			}
		}
		if ((now ^ old) & cr0_role)
			mmu_reset_context(mv, r);
		/* Clearing CR0.PG flushes the TLB from the guest's perspective. */
		if (((now ^ old) & X86_CR0_PG) && !(now & X86_CR0_PG))
			v->req_tlb_flush_guest = true;
		return;
	case SCN_REG_CR4:
		/* kvm_post_set_cr4() */
		if ((now ^ old) & cr4_role)
			mmu_reset_context(mv, r);
		if (!mv->tdp_enabled && !(old & X86_CR4_PCIDE) && (now & X86_CR4_PCIDE))
			mmu_unload(mv);
		/* A PGE toggle or clearing PCIDE flushes every PCID:
		 * KVM_REQ_TLB_FLUSH_GUEST (a PAE toggle or setting SMEP flushes only
		 * the current PCID: KVM_REQ_TLB_FLUSH_CURRENT, no sync). */
		if (((now ^ old) & X86_CR4_PGE) ||
		    (!(now & X86_CR4_PCIDE) && (old & X86_CR4_PCIDE)))
			v->req_tlb_flush_guest = true;
		if ((now ^ old) & (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_SMEP))
			load_pdptrs(v);
		return;
	case SCN_REG_EFER:
		/* set_efer(): KVM_MMU_EFER_ROLE_BITS = LME | NX */
		if ((now ^ old) & efer_role)
			mmu_reset_context(mv, r);
		return;
	case SCN_REG_CR3:
		/* kvm_set_cr3(): cr3 with NOFLUSH stripped (PCID bits kept, as the
		 * pgd KVM hands kvm_mmu_new_pgd()); a changed value switches roots,
		 * and without NOFLUSH the PCID is invalidated. */
		load_pdptrs(v);
		if (now != old)
			(void)mmu_new_pgd(mv, mv->mmu, now);
		if (!((r->cr4 & X86_CR4_PCIDE) && (val & X86_CR3_NOFLUSH)))
			invalidate_pcid(v, pgd_pcid(r, now));
		return;
	case SCN_REG_RFLAGS:
	case SCN_REG_CPL:
	case SCN_REG_PKRU:
	case SCN_REG_CS_L:
		return; /* not part of any MMU role */
	}
}

/* KVM_REQ_MMU_FREE_OBSOLETE_ROOTS reaches every vCPU (kvm_make_all_cpus_request). */
void sim_mmu_requests(struct sim_machine *mc)
{
	if (!mc->has_vm || !mc->vm.req_free_obsolete_roots)
		return;
	mc->vm.req_free_obsolete_roots = false;
	for (unsigned i = 0; i < mc->nvcpus; i++)
		mc->vcpu[i].req_free_obsolete_roots = true;
}

/*
 * The end of kvm_mmu_load(): kvm_x86_call(flush_tlb_current)() -- "the provenance
 * of the root is unknown". VMX flushes the new EPTP's context (with EPT) or the
 * current VPID (without), SVM the current ASID: every translation of the vCPU's
 * current VPID/ASID, all PCIDs, global ones too.
 */
static void flush_tlb_current(struct sim *sim, struct sim_vcpu *v)
{
	size_t before = tlb_count(v->tlb);

	tlb_flush_vpid(v->tlb, v->cpu.vpid, true);
	sim_emit_flush(sim, "root_load", 0, 0, before - tlb_count(v->tlb));
}

int sim_mmu_enter(struct sim *sim, struct sim_vcpu *v, u64 *pgd)
{
	struct mmu_vcpu *mv = &v->mmu;
	int r;

	*pgd = 0;
	if (!v->has_mmu)
		return 0;
	/* vcpu_enter_guest(): requests first ... */
	sim_mmu_requests(sim->mc);
	if (v->req_free_obsolete_roots) {
		v->req_free_obsolete_roots = false;
		mmu_free_obsolete_roots(mv);
	}
	if (v->req_mmu_sync) {
		v->req_mmu_sync = false;
		mmu_sync_roots(mv);
	}
	if (v->req_tlb_flush_guest) {
		v->req_tlb_flush_guest = false;
		mmu_flush_tlb_guest(mv);
	}
	/* ... then kvm_mmu_reload(): the guest's CR3 for shadow paging (the
	 * get_guest_pgd of a direct root is never consulted). */
	if (mv->mmu->root.hpa != INVALID_PAGE)
		return 0;
	*pgd = mv->tdp_enabled && mv->mmu == &mv->root_mmu ? 0
							   : mmu_get_guest_pgd(mv, v->cpu.r.cr3);
	r = mmu_load(mv, *pgd);
	if (!r)
		flush_tlb_current(sim, v);
	return r;
}

int sim_mmu_reload(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	char path[64];
	u64 pgd;
	int r = sim_mmu_enter(sim, &sim->mc->vcpu[st->vcpu], &pgd);

	if (!r)
		return 0;
	snprintf(path, sizeof(path), "/steps/%u", (unsigned)sim->cur);
	sim_err(sim, err, st->pos, path, "kvm_mmu_load() for pgd 0x%llx failed: %s", (ull)pgd,
		msc_strerror(r));
	return r == MSC_EOPNOTSUPP ? r : MSC_EINVAL;
}

void sim_mmu_zap_all_fast(struct sim *sim)
{
	if (sim->mc->has_vm)
		mmu_zap_all_fast(&sim->mc->vm);
	sim_mmu_requests(sim->mc);
}

void sim_mmu_memslot_changed(struct sim *sim, enum scn_op op)
{
	if (!sim->mc->has_vm)
		return;
	/* kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_all_fast() on delete. */
	if (op == SCN_OP_MEMSLOT_DELETE)
		mmu_zap_all_fast(&sim->mc->vm);
	/* kvm_arch_commit_memory_region(): the default budget follows the slots. */
	if (op != SCN_OP_MEMSLOT_FLAGS)
		mmu_vm_memslots_changed(&sim->mc->vm);
	sim_mmu_requests(sim->mc);
}

/*
 * A guest store by guest-physical address (a `map`/`unmap`/`set_entry` in guest
 * mode, a guest `mem_write`): the op has no linear address, so the fault KVM
 * takes on the guest's own mapping of the page is modelled by its outcome, as
 * FNAME(page_fault) -> make_spte() -> mmu_try_to_unsync_pages() decides it: a
 * gfn KVM write-tracks (an upper-level shadow page), or one whose shadow pages
 * cannot go unsync, traps and is emulated (true: the caller writes memory, then
 * sim_mmu_emulated_write()); otherwise its level-1 shadow pages go unsync and
 * the store reaches memory unseen (false). Stores to read-only or absent
 * memslots never reach the write-protection path (false, nothing changed).
 */
bool sim_mmu_store_trapped(struct sim *sim, u8 as, u64 gpa)
{
	struct mmu_vm *vm = &sim->mc->vm;
	struct gmem_slot_info info;

	/* With TDP only shadow EPT/NPT pages (nested) make indirect shadow pages. */
	if (!sim->mc->has_vm || !vm->indirect_shadow_pages)
		return false;
	if (!gmem_slot_find(sim->mc->mem, as, gpa, &info) || (info.flags & GMEM_SLOT_READONLY))
		return false;
	return mmu_try_to_unsync_pages(vm, as, gpa >> PAGE_SHIFT, true, false) != 0;
}

/* x86_emulate_instruction()'s write reached memory: kvm_page_track_write() ->
 * kvm_mmu_track_write() with the emulated write's size. */
void sim_mmu_emulated_write(struct sim *sim, u16 vcpu, u8 as, u64 gpa, unsigned size)
{
	const struct cpu_regs *r = &sim->mc->vcpu[vcpu].cpu.r;

	if (!sim->mc->has_vm || !sim->mc->vm.indirect_shadow_pages)
		return;
	mmu_track_write(&sim->mc->vm, as, (r->cr4 & X86_CR4_PAE) != 0, gpa, size);
}

struct hmem *sim_hmem(struct sim *sim)
{
	return sim->mc->hmem;
}

void sim_mmu_audit_step(struct sim *sim)
{
	struct sim_machine *mc = sim->mc;
	struct mmu_vcpu *vcpus;
	struct mmu_audit_report rep;
	unsigned n = 0;
	int count;

	if (!mc->has_vm || sim->s->machine.tdp != SCN_TDP_NONE)
		return;
	/* mmu_audit() takes an array; the vCPUs' MMUs live inside struct sim_vcpu. */
	vcpus = calloc(SCN_MAX_VCPUS, sizeof(*vcpus));
	if (!vcpus)
		return;
	for (unsigned i = 0; i < mc->nvcpus; i++)
		if (mc->vcpu[i].has_mmu)
			vcpus[n++] = mc->vcpu[i].mmu;
	count = mmu_audit(&mc->vm, vcpus, n, &rep);
	free(vcpus);
	if (count <= 0)
		return;
	mc->audit_violations += (u32)count;
	mc->failures++;
	for (unsigned i = 0; i < rep.kept; i++) {
		struct sim_event ev;
		char text[256];

		mmu_audit_format(&rep.v[i], text, sizeof(text));
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_DIVERGENCE;
		ev.u.divergence.text = text;
		sim_emit(sim, &ev);
	}
	if (rep.count > rep.kept) {
		struct sim_event ev;
		char text[64];

		snprintf(text, sizeof(text), "audit: %u more violations", rep.count - rep.kept);
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_DIVERGENCE;
		ev.u.divergence.text = text;
		sim_emit(sim, &ev);
	}
}

struct mmu_vcpu *sim_mmu_vcpu(struct sim *sim, u16 vcpu)
{
	return vcpu < sim->mc->nvcpus && sim->mc->vcpu[vcpu].has_mmu ? &sim->mc->vcpu[vcpu].mmu
								     : NULL;
}

/* ---- expectations ---- */

bool sim_mmu_stat(const struct sim *sim, u16 vcpu, const char *name, u64 *val)
{
	const struct sim_machine *mc = sim->mc;
	const struct mmu_vm_stats *s = &mc->vm.stats;
	const struct mmu_vcpu *v = &mc->vcpu[vcpu].mmu;
	const struct {
		const char *name;
		u64 val;
	} tab[] = {
		/* kvm_vm_stats_desc */
		{"mmu_shadow_zapped", s->mmu_shadow_zapped},
		{"mmu_pte_write", s->mmu_pte_write},
		{"mmu_pde_zapped", s->mmu_pde_zapped},
		{"mmu_flooded", s->mmu_flooded},
		{"mmu_recycled", s->mmu_recycled},
		{"mmu_cache_miss", s->mmu_cache_miss},
		{"mmu_unsync", s->mmu_unsync},
		{"pages_4k", s->pages_4k},
		{"pages_2m", s->pages_2m},
		{"pages_1g", s->pages_1g},
		{"nx_lpage_splits", s->nx_lpage_splits},
		{"max_mmu_rmap_size", s->max_mmu_rmap_size},
		{"max_mmu_page_hash_collisions", s->max_mmu_page_hash_collisions},
		{"remote_tlb_flush", s->remote_tlb_flush},
		{"remote_tlb_flush_requests", s->remote_tlb_flush_requests},
		/* kvm_vcpu_stats_desc */
		{"pf_taken", v->pf_taken},
		{"pf_fixed", v->pf_fixed},
		{"pf_emulate", v->pf_emulate},
		{"pf_spurious", v->pf_spurious},
		{"pf_fast", v->pf_fast},
		{"pf_mmio_spte_created", v->pf_mmio_spte_created},
		{"pf_guest", v->pf_guest},
		{"tlb_flush", v->tlb_flush},
		{"invlpg", v->invlpg},
		/* mmuscope's own: the prev_roots cache of this vCPU */
		{"root_cache_hits", v->root_stats.hits},
		{"root_cache_misses", v->root_stats.misses},
		{"root_cache_evictions", v->root_stats.evictions},
		/* kvm_mmu_reset_context() calls on this vCPU */
		{"context_resets", v->root_stats.context_resets},
	};

	if (!name || !mc->has_vm)
		return false;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(tab); i++) {
		if (!strcmp(name, tab[i].name)) {
			*val = tab[i].val;
			return true;
		}
	}
	return false;
}

bool sim_kvm_stat(const struct sim *sim, u16 vcpu, const char *name, u64 *val)
{
	return vcpu < sim->mc->nvcpus && sim_mmu_stat(sim, vcpu, name, val);
}

u64 sim_mmu_count_sps(const struct sim *sim, u32 role_word)
{
	const struct mlist *h = &sim->mc->vm.active_mmu_pages;
	u64 n = 0;

	if (!sim->mc->has_vm)
		return 0;
	for (const struct mlist *p = h->next; p != h; p = p->next) {
		const struct kvm_mmu_page *sp = mlist_entry(p, struct kvm_mmu_page, link);

		if (!sp->role.invalid && sp->role.word == role_word)
			n++;
	}
	/* TDP MMU pages are on no active list: the valid roots' trees. */
	return n + mmu_tdp_count_sps(&sim->mc->vm, role_word);
}
