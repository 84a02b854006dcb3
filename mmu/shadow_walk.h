/* SPDX-License-Identifier: MIT */
/*
 * The shadow-table iterator of arch/x86/kvm/mmu/mmu.c (struct
 * kvm_shadow_walk_iterator): from a root down to the SPTE mapping an address.
 */
#ifndef MSC_MMU_SHADOW_WALK_H
#define MSC_MMU_SHADOW_WALK_H

#include "mmu/root.h"

struct shadow_walk_iterator {
	u64 addr;
	hpa_t shadow_addr;
	int level; /* 0 once the walk ended */
	u64 sptep; /* the SPTE at the current level (after shadow_walk_okay()) */
	unsigned index; /* its index in the table */
};

/* shadow_walk_init_using_root(): start at @root (a PAE root starts at the
 * pae_root entry for @addr's bits 31:30). */
void shadow_walk_init_using_root(struct shadow_walk_iterator *it, const struct mmu_vcpu *v,
				 hpa_t root, u64 addr);
/* shadow_walk_okay(): false once below 4K; else sets sptep and index. */
bool shadow_walk_okay(struct shadow_walk_iterator *it);
/* __shadow_walk_next(): follow a present non-leaf SPTE down, else end. */
void shadow_walk_next(struct shadow_walk_iterator *it, const struct mmu_vm *vm);

/* shadow_walk_init(): from the current root. */
static inline void shadow_walk_init(struct shadow_walk_iterator *it, const struct mmu_vcpu *v,
				    u64 addr)
{
	shadow_walk_init_using_root(it, v, v->mmu->root.hpa, addr);
}

#endif
