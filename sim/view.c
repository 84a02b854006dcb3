/* SPDX-License-Identifier: MIT */
/*
 * Read-only views of KVM's MMU state (sim/view.h): shadow pages, their
 * entries, the hash buckets and a vCPU's roots as plain data, for viz/ and
 * tests, which never include mmu/ headers.
 */
#include "sim/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/event.h"
#include "mmu/page.h"
#include "mmu/spte.h"
#include "sim/engine_priv.h"

_Static_assert(SIM_VIEW_HASH_BUCKETS == KVM_NUM_MMU_PAGES, "view buckets are KVM's");

static const struct mmu_vm *view_vm(const struct sim *sim)
{
	return sim && sim->mc && sim->mc->has_vm ? &sim->mc->vm : NULL;
}

/* The SP whose table is at @hpa (exactly its base), or NULL. */
static const struct kvm_mmu_page *sp_at(const struct mmu_vm *vm, u64 hpa)
{
	const struct kvm_mmu_page *sp;

	if (hpa & (PAGE_SIZE - 1))
		return NULL;
	sp = mmu_sptep_to_sp(vm, hpa);
	return sp && sp->spt == hpa ? sp : NULL;
}

static const u64 *sp_table(const struct mmu_vm *vm, const struct kvm_mmu_page *sp)
{
	return hmem_ptr(vm->hmem, sp->spt);
}

static int sp_serial_cmp(const void *a, const void *b)
{
	const struct kvm_mmu_page *x = *(const struct kvm_mmu_page *const *)a;
	const struct kvm_mmu_page *y = *(const struct kvm_mmu_page *const *)b;

	return (x->serial > y->serial) - (x->serial < y->serial);
}

static void fill_sp_view(const struct mmu_vm *vm, const struct kvm_mmu_page *sp,
			 struct sim_sp_view *o)
{
	const u64 *t = sp_table(vm, sp);
	struct mmu_sp_print pr;

	memset(o, 0, sizeof(*o));
	o->hpa = sp->spt;
	o->gfn = sp->gfn;
	o->role = sp->role.word;
	o->level = (u8)sp->role.level;
	o->direct = sp->role.direct;
	o->unsync = sp->unsync;
	o->invalid = sp->role.invalid;
	o->tdp_mmu = sp->tdp_mmu_page;
	o->obsolete = mmu_is_obsolete_sp(vm, sp);
	o->root_count = sp->root_count > 0 ? (u32)sp->root_count : 0;
	o->bucket = mmu_page_hashfn(sp->gfn);
	o->serial = sp->serial;
	o->unsync_children = (u16)sp->unsync_children;
	o->gen = sp->mmu_valid_gen;
	for (unsigned i = 0; t && i < SPTE_ENT_PER_PAGE; i++) {
		if (!is_shadow_present_pte(t[i]))
			continue;
		o->present++;
		if (!is_last_spte(t[i], sp->role.level))
			o->children++;
	}
	mmu_sp_print(sp, &pr);
	mmu_sp_format(&pr, o->trace, sizeof(o->trace));
}

size_t sim_view_sps(const struct sim *sim, struct sim_sp_view *out, size_t max)
{
	const struct mmu_vm *vm = view_vm(sim);
	const struct kvm_mmu_page **sps;
	size_t n = 0;

	if (!vm)
		return 0;
	for (u64 i = 0; i < vm->sp_by_pfn_len; i++)
		n += vm->sp_by_pfn[i] != NULL;
	if (!max || !out || !n)
		return n;
	sps = malloc(n * sizeof(*sps));
	if (!sps)
		return 0;
	n = 0;
	for (u64 i = 0; i < vm->sp_by_pfn_len; i++) {
		if (vm->sp_by_pfn[i])
			sps[n++] = vm->sp_by_pfn[i];
	}
	qsort(sps, n, sizeof(*sps), sp_serial_cmp);
	for (size_t i = 0; i < n && i < max; i++)
		fill_sp_view(vm, sps[i], &out[i]);
	free(sps);
	return n;
}

/* The walk format SPTEs of @level are in: EPT, or KVM's 64-bit legacy/NPT format
 * (4- or 5-level), with the host's MAXPHYADDR as the hardware loop walks them. */
static void spte_cfg(const struct sim *sim, u8 level, struct walk_cfg *cfg)
{
	const struct spte_masks *m = &sim->mc->vm.masks;
	const u8 levels = level > 4 ? 5 : 4;

	if (m->ept) {
		u64 eptp = ((u64)(levels - 1) << 3) | 6 | (m->ad_enabled ? 1ULL << 6 : 0);

		walk_cfg_ept(cfg, eptp, &sim->mc->feat);
		cfg->maxphyaddr = 52;
		return;
	}
	memset(cfg, 0, sizeof(*cfg));
	cfg->fmt = levels == 5 ? WALK_FMT_5LVL : WALK_FMT_4LVL;
	cfg->levels = levels;
	cfg->vendor = sim->mc->feat.vendor;
	cfg->maxphyaddr = m->host_maxphyaddr;
	cfg->wp = cfg->nxe = cfg->pse = cfg->gbpages = cfg->pge = true;
}

size_t sim_view_sptes(const struct sim *sim, u64 sp_hpa, struct sim_spte_view *out, size_t max)
{
	const struct mmu_vm *vm = view_vm(sim);
	const struct kvm_mmu_page *sp;
	struct walk_cfg cfg;
	const u64 *t;
	size_t n = 0;

	if (!vm)
		return 0;
	sp = sp_at(vm, sp_hpa);
	t = sp ? sp_table(vm, sp) : NULL;
	if (!t)
		return 0;
	spte_cfg(sim, (u8)sp->role.level, &cfg);
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		const u64 spte = t[i];
		const bool mmio = is_mmio_spte(&vm->masks, spte);
		struct sim_spte_view *o;

		if (!is_shadow_present_pte(spte) && !mmio)
			continue;
		if (!out || n >= max) {
			n++;
			continue;
		}
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->index = (u16)i;
		o->spte = spte;
		o->mmio = mmio;
		if (mmio) {
			snprintf(o->decoded, sizeof(o->decoded),
				 "mmio gfn 0x%llx access %s gen 0x%llx",
				 (unsigned long long)get_mmio_spte_gfn(&vm->masks, spte),
				 mmu_access_str(get_mmio_spte_access(&vm->masks, spte)),
				 (unsigned long long)get_mmio_spte_generation(spte));
			continue;
		}
		o->leaf = is_last_spte(spte, sp->role.level);
		if (!o->leaf)
			o->child_hpa = spte & SPTE_BASE_ADDR_MASK;
		walk_decode_entry(&cfg, (u8)sp->role.level, spte, o->decoded, sizeof(o->decoded));
	}
	return n;
}

void sim_view_hash(const struct sim *sim, u32 counts[SIM_VIEW_HASH_BUCKETS])
{
	const struct mmu_vm *vm = view_vm(sim);

	memset(counts, 0, SIM_VIEW_HASH_BUCKETS * sizeof(counts[0]));
	if (!vm)
		return;
	for (unsigned b = 0; b < SIM_VIEW_HASH_BUCKETS; b++) {
		const struct mlist *h = &vm->mmu_page_hash[b];

		for (const struct mlist *l = h->next; l != h; l = l->next)
			counts[b]++;
	}
}

static void fill_root(const struct mmu_vm *vm, const struct kvm_mmu_root_info *ri,
		      struct sim_root_view *o)
{
	const struct kvm_mmu_page *sp;

	memset(o, 0, sizeof(*o));
	o->pgd = ri->pgd;
	o->hpa = ri->hpa;
	o->valid = ri->hpa != INVALID_PAGE;
	if (!o->valid)
		return;
	sp = mmu_root_to_sp(vm, ri->hpa);
	o->special = sp == NULL;
	o->role = sp ? sp->role.word : 0;
}

static void fill_mmu(const struct mmu_vm *vm, const struct kvm_mmu *mmu, struct sim_mmu_view *o)
{
	memset(o, 0, sizeof(*o));
	/* An initialised context has a root role (its level is never 0). */
	o->present = mmu->root_role.word != 0;
	o->cpu_role_base = mmu->cpu_role.base.word;
	o->cpu_role_ext = mmu->cpu_role.ext.word;
	o->root_role = mmu->root_role.word;
	fill_root(vm, &mmu->root, &o->current);
	for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		fill_root(vm, &mmu->prev_roots[i], &o->prev[i]);
}

bool sim_view_vcpu_mmu(const struct sim *sim, u16 vcpu, struct sim_vcpu_mmu_view *out)
{
	const struct mmu_vm *vm = view_vm(sim);
	const struct sim_vcpu *v;

	if (!vm || vcpu >= sim->mc->nvcpus || !sim->mc->vcpu[vcpu].has_mmu)
		return false;
	v = &sim->mc->vcpu[vcpu];
	memset(out, 0, sizeof(*out));
	fill_mmu(vm, &v->mmu.root_mmu, &out->root_mmu);
	fill_mmu(vm, &v->mmu.guest_mmu, &out->guest_mmu);
	out->on_guest_mmu = v->mmu.mmu == &v->mmu.guest_mmu;
	out->tdp = v->mmu.tdp_enabled;
	out->tdp_mmu = v->mmu.tdp_mmu_enabled;
	out->root_cache_hits = v->mmu.root_stats.hits;
	out->root_cache_misses = v->mmu.root_stats.misses;
	out->root_cache_evictions = v->mmu.root_stats.evictions;
	return true;
}

bool sim_view_nested_tdp(const struct sim *sim, u16 vcpu, struct walk_cfg *l1_tdp)
{
	const struct sim_vcpu *v;

	if (!sim || !sim->mc || vcpu >= sim->mc->nvcpus)
		return false;
	v = &sim->mc->vcpu[vcpu];
	if (!v->nested.active || !v->nested.tdp)
		return false;
	*l1_tdp = v->nested.l1_tdp;
	return true;
}
