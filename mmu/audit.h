/* SPDX-License-Identifier: MIT */
/*
 * The MMU auditor: KVM's mmu_audit.c (removed in v5.19, 2022) rebuilt. It checks
 * the invariants the shadow MMU's data structures must keep between operations
 * (docs/audit.md): the page hash and active list, parent pointers, rmaps, root
 * reference counts, write tracking, unsync marks, and that synced shadow pages
 * agree with the guest page tables they shadow.
 */
#ifndef MSC_MMU_AUDIT_H
#define MSC_MMU_AUDIT_H

#include "mmu/page.h"
#include "mmu/root.h"

#define MMU_AUDIT_MAX_KEPT 16

/* The invariants, one check function each (mmu/audit.c). */
enum mmu_audit_inv {
	MMU_AUDIT_HASH, /* (a) mmu_page_hash / active_mmu_pages */
	MMU_AUDIT_PARENTS, /* (b) parent_ptes <-> non-leaf SPTEs */
	MMU_AUDIT_RMAP, /* (c) rmaps <-> leaf SPTEs */
	MMU_AUDIT_ROOT_COUNT, /* (d) root_count <-> vCPU roots */
	MMU_AUDIT_WRITE_TRACK, /* (e) gfn_write_track <-> upper-level SPs */
	MMU_AUDIT_UNSYNC, /* (f) unsync, unsync_children, mmu_unsync */
	MMU_AUDIT_GPTE, /* (g) synced SPTEs vs the guest's gptes */
	MMU_AUDIT_NR
};

struct mmu_audit_violation {
	enum mmu_audit_inv inv;
	gfn_t gfn; /* of the shadow page concerned (0 when none) */
	u32 role; /* its role word */
	u32 serial; /* its serial (0 when none) */
	char text[160]; /* what is wrong */
};

struct mmu_audit_report {
	unsigned count; /* violations found */
	unsigned kept; /* how many of them are in v[] (the first ones) */
	struct mmu_audit_violation v[MMU_AUDIT_MAX_KEPT];
};

/* The invariant's short name ("hash", "parents", "rmap", ...). */
const char *mmu_audit_inv_name(enum mmu_audit_inv inv);

/*
 * Check every invariant of @vm and of the roots of @vcpus[0..@n). Returns the
 * number of violations (0: all hold); @out (may be NULL) gets them.
 */
int mmu_audit(const struct mmu_vm *vm, const struct mmu_vcpu *vcpus, unsigned n,
	      struct mmu_audit_report *out);

/* Format violation @v as one line: "audit: <inv>: sp gfn 0x.. role 0x.. #serial: text". */
int mmu_audit_format(const struct mmu_audit_violation *v, char *buf, size_t len);

#endif
