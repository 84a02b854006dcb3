/* SPDX-License-Identifier: MIT */
/*
 * KVM behaviour variants: named older (or proposed) behaviours of KVM's MMU that
 * a scenario selects with machine.variants to reproduce a discussion before its
 * fix (docs/variants.md, docs/history/). Each names the commit that changed it.
 * The default of every variant is off: current KVM. A variant is registered only
 * together with the model of its behaviour.
 */
#ifndef MSC_MMU_VARIANTS_H
#define MSC_MMU_VARIANTS_H

#include "cpu/types.h"

enum mmu_variant {
	/* 699023e23965 .. 0f38453cdb2e: write tracking checked only in the address
	 * space of the access (docs/history/05-write-track-smm.md). */
	MMU_VAR_WRITE_TRACK_ONE_AS,
	MMU_NR_VARIANTS
};

struct mmu_variant_info {
	const char *name; /* machine.variants name */
	const char *commit; /* the commit that changed it ("proposal" when never merged) */
	const char *summary; /* one line */
};

/* The registry, indexed by enum mmu_variant. */
extern const struct mmu_variant_info mmu_variant_table[MMU_NR_VARIANTS];

/* The variant named @name, or -1. */
int mmu_variant_lookup(const char *name, size_t len);

#endif
