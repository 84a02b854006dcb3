/* SPDX-License-Identifier: MIT */
/* The registry of KVM behaviour variants (mmu/variants.h, docs/variants.md). */
#include "mmu/variants.h"

#include <string.h>

const struct mmu_variant_info mmu_variant_table[MMU_NR_VARIANTS] = {
	[MMU_VAR_WRITE_TRACK_ONE_AS] = {"write_track_one_as", "0f38453cdb2e",
					"write tracking checked only in the access's address "
					"space (699023e23965 until 0f38453cdb2e)"},
};

int mmu_variant_lookup(const char *name, size_t len)
{
	for (int i = 0; i < MMU_NR_VARIANTS; i++)
		if (strlen(mmu_variant_table[i].name) == len &&
		    !memcmp(mmu_variant_table[i].name, name, len))
			return i;
	return -1;
}
