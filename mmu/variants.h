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
	/* v4.20 .. 47c42e6b4192 (v5.1): direct shadow pages are created with role
	 * cr4_pae clear (has_4_byte_gpte set) while the root role a CR3/EPTP switch
	 * looks up keeps CR4.PAE, so no cached direct root is ever usable
	 * (docs/history/01-prev-roots-cr4-pae.md). The legacy MMU only. */
	MMU_VAR_DIRECT_CR4_PAE,
	/* before 2ba676774dfc (v5.19): the TDP root role takes efer_nx and cr0_wp
	 * from the guest while it pages (docs/history/02-tdp-root-roles.md). */
	MMU_VAR_TDP_ROLE_FROM_GUEST,
	/* before 01b31714bd90 and e40bcf9f3a18 (v6.4): every CR0.WP toggle resets
	 * the MMU context (unloads all roots), also with TDP and without paging. */
	MMU_VAR_CR0_WP_UNLOAD,
	/* The KVM_MAP_MEMORY v2 proposal (2024, never merged): pre-fault always
	 * fills the L1, non-SMM root (docs/history/03-pre-fault-roots.md). */
	MMU_VAR_PRE_FAULT_L1_ROOT,
	/* A host without NX under shadow paging, which KVM refuses to load on since
	 * 23f079c2494e / b26a71a1a5b9 (v5.14): SPTEs cannot be NX
	 * (docs/history/04-shadow-nx.md). */
	MMU_VAR_SHADOW_WITHOUT_NX,
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
