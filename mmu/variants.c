/* SPDX-License-Identifier: MIT */
/* The registry of KVM behaviour variants (mmu/variants.h, docs/variants.md). */
#include "mmu/variants.h"

#include <string.h>

const struct mmu_variant_info mmu_variant_table[MMU_NR_VARIANTS] = {
	[MMU_VAR_WRITE_TRACK_ONE_AS] = {"write_track_one_as", "0f38453cdb2e",
					"write tracking checked only in the access's address "
					"space (699023e23965 until 0f38453cdb2e)"},
	[MMU_VAR_DIRECT_CR4_PAE] = {"direct_cr4_pae_cleared", "47c42e6b4192",
				    "direct shadow pages created with cr4_pae clear, so a "
				    "cached direct root never matches (before 47c42e6b4192)"},
	[MMU_VAR_TDP_ROLE_FROM_GUEST] = {"tdp_root_role_from_guest", "2ba676774dfc",
					 "TDP root role takes efer_nx and cr0_wp from the guest "
					 "(before 2ba676774dfc)"},
	[MMU_VAR_CR0_WP_UNLOAD] = {"cr0_wp_unload", "01b31714bd90",
				   "a CR0.WP toggle unloads every root, also with TDP "
				   "(before 01b31714bd90 and e40bcf9f3a18)"},
	[MMU_VAR_PRE_FAULT_L1_ROOT] = {"pre_fault_l1_root", "proposal",
				       "KVM_MAP_MEMORY v2: pre-fault always fills the L1, "
				       "non-SMM root (never merged; 6e01b7601dfe did not)"},
	[MMU_VAR_SHADOW_WITHOUT_NX] = {"shadow_without_nx", "23f079c2494e",
				       "shadow paging on a host without NX: SPTEs cannot be "
				       "NX (refused since 23f079c2494e / b26a71a1a5b9)"},
};

int mmu_variant_lookup(const char *name, size_t len)
{
	for (int i = 0; i < MMU_NR_VARIANTS; i++)
		if (strlen(mmu_variant_table[i].name) == len &&
		    !memcmp(mmu_variant_table[i].name, name, len))
			return i;
	return -1;
}
