/* SPDX-License-Identifier: MIT */
/*
 * The shadow-table iterator (mmu.c: for_each_shadow_entry_using_root(),
 * shadow_walk_init_using_root(), shadow_walk_okay(), __shadow_walk_next()),
 * shared by the fault path, INVLPG's sync and the MMIO walk.
 */
#include "mmu/shadow_walk.h"

#include "mmu/page_priv.h"

/* shadow_walk_init_using_root(): a PAE root starts at pae_root[addr bits 31:30]. */
void shadow_walk_init_using_root(struct shadow_walk_iterator *it, const struct mmu_vcpu *v,
				 hpa_t root, u64 addr)
{
	const struct kvm_mmu *mmu = v->mmu;

	it->addr = addr;
	it->shadow_addr = root;
	it->level = (int)mmu->root_role.level;
	it->sptep = 0;
	it->index = 0;
	if (it->level >= PT64_ROOT_4LEVEL && mmu->cpu_role.base.level < PT64_ROOT_4LEVEL &&
	    !mmu->root_role.direct)
		it->level = PT32E_ROOT_LEVEL;
	if (it->level == PT32E_ROOT_LEVEL) {
		/* BUG_ON(root != mmu->root.hpa): PAE roots are never cached. */
		const u64 *pae_root = mmu->pae_root ? hmem_ptr(v->vm->hmem, mmu->pae_root) : NULL;

		it->shadow_addr = pae_root ? pae_root[(addr >> 30) & 3] & SPTE_BASE_ADDR_MASK : 0;
		--it->level;
		if (!it->shadow_addr)
			it->level = 0;
	}
}

/* shadow_walk_okay() */
bool shadow_walk_okay(struct shadow_walk_iterator *it)
{
	if (it->level < PG_LEVEL_4K)
		return false;
	it->index = (unsigned)((it->addr >>
				(PAGE_SHIFT + SPTE_LEVEL_BITS * (unsigned)(it->level - 1))) &
			       (SPTE_ENT_PER_PAGE - 1));
	it->sptep = it->shadow_addr + 8 * (u64)it->index;
	return true;
}

/* shadow_walk_next() */
void shadow_walk_next(struct shadow_walk_iterator *it, const struct mmu_vm *vm)
{
	u64 spte = spte_load(vm, it->sptep);

	if (!is_shadow_present_pte(spte) || is_last_spte(spte, (unsigned)it->level)) {
		it->level = 0;
		return;
	}
	it->shadow_addr = spte & SPTE_BASE_ADDR_MASK;
	--it->level;
}
