/* SPDX-License-Identifier: MIT */
/*
 * The engine's KVM MMU glue: the VM's MMU state (struct mmu_vm) and one MMU per
 * vCPU (struct mmu_vcpu), kept in step with the architectural registers the way
 * arch/x86/kvm/x86.c does it (kvm_post_set_cr0, kvm_post_set_cr4, kvm_set_cr3,
 * set_efer), roots reloaded before each guest access (vcpu_enter_guest ->
 * kvm_mmu_reload), fast zaps (zap_all, memslot delete), the MMU's events as
 * SIM_EV_MMU, and the MMU expectations (root_cache, role, stats, shadow_pages).
 *
 * On shadow-paging machines (machine.tdp "none") guest accesses run through KVM's
 * shadow tables (sim/engine_ops.c, the hardware loop): faults enter
 * mmu_page_fault(), and writes to shadowed guest page tables reach
 * sim_mmu_track_write() (kvm_mmu_track_write). TDP machines load roots but never
 * fill them yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/audit.h"
#include "sim/engine_priv.h"

typedef unsigned long long ull;

/* Host frames of guest memory start here, far above hmem's table pages. */
#define SIM_GUEST_PFN_BASE (1ULL << 28)
/* SMM (address space 1) memory that aliases nothing gets its own host range. */
#define SIM_GUEST_PFN_AS1 (1ULL << 36)

/*
 * The scenario memslot now installed as (as, id) at @base: the latest
 * memslot_add step before the current one, else the machine's own.
 */
static const struct scn_memslot *slot_desc(const struct sim *sim, u8 as, u16 id, u64 base)
{
	const struct scenario *s = sim->s;

	for (u32 i = sim->cur + 1; i-- > 0;) {
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

int sim_mmu_create(struct sim *sim, struct sim_machine *mc, struct scn_error *err)
{
	const struct scn_machine *m = &sim->s->machine;
	const struct cpu_features *f = &mc->feat;
	bool tdp = m->tdp != SCN_TDP_NONE;
	u8 level = 4, forced = 0;
	bool ad = true;
	int r;

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
		spte_masks_init_legacy(&mc->masks, f->maxphyaddr);
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
	mc->vm.sink = mmu_sink;
	mc->vm.sink_ctx = sim;
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

/* kvm_invalidate_pcid(), the shadow-paging part that frees prev_roots. */
static void invalidate_pcid(struct sim_vcpu *v, u64 pcid)
{
	struct kvm_mmu *mmu = v->mmu.mmu;
	unsigned mask = 0;

	if (v->mmu.tdp_enabled)
		return; /* TDP: KVM_REQ_TLB_FLUSH_GUEST only (the cpu/ TLB models it) */
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
	switch (reg) {
	case SCN_REG_CR0:
		/* kvm_post_set_cr0() (>= v6.4): a WP-only change with PG=0 needs
		 * nothing; with TDP it only re-inits the context (no unload). */
		if ((now ^ old) == X86_CR0_WP) {
			if (!(now & X86_CR0_PG))
				return;
			if (mv->tdp_enabled) {
				mmu_init_context(mv, r);
				return;
			}
		}
		if ((now ^ old) & cr0_role)
			mmu_reset_context(mv, r);
		return;
	case SCN_REG_CR4:
		/* kvm_post_set_cr4() */
		if ((now ^ old) & cr4_role)
			mmu_reset_context(mv, r);
		if (!mv->tdp_enabled && !(old & X86_CR4_PCIDE) && (now & X86_CR4_PCIDE))
			mmu_unload(mv);
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

int sim_mmu_reload(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct sim_vcpu *v = &sim->mc->vcpu[st->vcpu];
	struct mmu_vcpu *mv = &v->mmu;
	char path[64];
	u64 pgd;
	int r;

	if (!v->has_mmu)
		return 0;
	/* vcpu_enter_guest(): requests first ... */
	sim_mmu_requests(sim->mc);
	if (v->req_free_obsolete_roots) {
		v->req_free_obsolete_roots = false;
		mmu_free_obsolete_roots(mv);
	}
	/* ... then kvm_mmu_reload(): the guest's CR3 for shadow paging (the
	 * get_guest_pgd of a direct root is never consulted). */
	if (mv->mmu->root.hpa != INVALID_PAGE)
		return 0;
	pgd = mv->tdp_enabled ? 0 : v->cpu.r.cr3;
	r = mmu_load(mv, pgd);
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
 * get_written_sptes(): the SPTEs of @sp that shadow the guest entry at @offset
 * in its page; 0 when the write falls in another quadrant of a 4-byte table.
 */
static unsigned written_sptes(const struct kvm_mmu_page *sp, unsigned offset, unsigned *first)
{
	unsigned page_offset = offset, n = 1, quadrant;

	if (sp->role.has_4_byte_gpte) {
		page_offset <<= 1; /* 32 -> 64 */
		/* A 32-bit PDE maps 4 MiB, the shadow PDEs 2 MiB: zap two. */
		if (sp->role.level == 2) {
			page_offset &= ~7u;
			page_offset <<= 1;
			n = 2;
		}
		quadrant = page_offset >> PAGE_SHIFT;
		page_offset &= PAGE_SIZE - 1;
		if (quadrant != sp->role.quadrant)
			return 0;
	}
	*first = page_offset / 8;
	return n;
}

/*
 * kvm_mmu_track_write() -> kvm_mmu_pte_write(): a write of @size bytes at @gpa
 * lands on a guest page table KVM shadows: the SPTEs shadowing the written
 * entry are zapped (a misaligned write zaps the whole shadow page, as
 * detect_write_misaligned()). KVM sees only the guest writes its
 * write-protection traps; the model treats every write (host writes, and writes
 * to unsync pages) the same way, so shadow tables never go stale behind the
 * guest's back -- a later milestone models write-protection faithfully.
 */
void sim_mmu_track_write(struct sim *sim, u8 as, u64 gpa, unsigned size)
{
	struct mmu_vm *vm = &sim->mc->vm;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	const struct mlist *h;
	struct mlist invalid;
	bool counted = false;

	if (!sim->mc->has_vm || vm->tdp_enabled)
		return;
	mlist_init(&invalid);
	h = &vm->mmu_page_hash[mmu_page_hashfn(gfn)];
	for (const struct mlist *p = h->next, *nx; p != h; p = nx) {
		struct kvm_mmu_page *sp = mlist_entry(p, struct kvm_mmu_page, hash_link);
		unsigned pte_size, first, n;

		nx = p->next;
		if (sp->gfn != gfn || sp->role.direct || sp->role.invalid || sp->role.smm != as)
			continue;
		if (!counted) {
			vm->stats.mmu_pte_write++;
			counted = true;
		}
		pte_size = sp->role.has_4_byte_gpte ? 4 : 8;
		if ((gpa & (pte_size - 1)) + size > pte_size) {
			/* detect_write_misaligned() */
			vm->stats.mmu_flooded++;
			mmu_prepare_zap_page(vm, sp, &invalid, NULL);
			continue;
		}
		n = written_sptes(sp, (unsigned)(gpa & (PAGE_SIZE - 1)), &first);
		for (unsigned i = 0; i < n; i++) {
			u64 sptep = sp->spt + (u64)(first + i) * 8;

			if (mmu_zap_spte(vm, sptep) && sp->role.level > 1)
				vm->stats.mmu_pde_zapped++;
		}
	}
	mmu_commit_zap_page(vm, &invalid);
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
	return n;
}
