/* SPDX-License-Identifier: MIT */
/*
 * What the MMU model reports: one typed event per state change, delivered to a
 * sink. Events that KVM traces carry exactly the fields of the kvmmmu tracepoint
 * (arch/x86/kvm/mmu/mmutrace.h) so mmu_event_format() prints KVM's own line;
 * mmuscope's own events (the prev_roots cache, root loads) are prefixed mmuscope_.
 */
#ifndef MSC_MMU_EVENT_H
#define MSC_MMU_EVENT_H

#include "cpu/types.h"

enum mmu_ev_kind {
	MMU_EV_GET_PAGE, /* kvm_mmu_get_page: sp, created */
	MMU_EV_SYNC_PAGE, /* kvm_mmu_sync_page: sp */
	MMU_EV_UNSYNC_PAGE, /* kvm_mmu_unsync_page: sp */
	MMU_EV_PREPARE_ZAP, /* kvm_mmu_prepare_zap_page: sp */
	MMU_EV_SET_SPTE, /* kvm_mmu_set_spte: gfn, spte, level, sptep */
	MMU_EV_SPTE_REQUESTED, /* kvm_mmu_spte_requested: gfn, pfn, level */
	MMU_EV_MARK_MMIO_SPTE, /* mark_mmio_spte: sptep, gfn, access, gen */
	MMU_EV_HANDLE_MMIO_PF, /* handle_mmio_page_fault: addr, gfn, access */
	MMU_EV_CHECK_MMIO_SPTE, /* check_mmio_spte: spte, kvm_gen, spte_gen */
	MMU_EV_ZAP_ALL_FAST, /* kvm_mmu_zap_all_fast: gen, used pages */
	MMU_EV_WRPROT_GFN, /* mmuscope_wrprot: a gfn's SPTEs lost W (account_shadowed) */
	MMU_EV_ROOT_HIT, /* mmuscope_root_cache: hit, slot index, pgd, hpa */
	MMU_EV_ROOT_MISS, /* mmuscope_root_cache: miss, pgd */
	MMU_EV_ROOT_EVICT, /* mmuscope_root_cache: evict (the LRU entry freed), pgd, hpa */
	MMU_EV_ROOT_LOAD, /* mmuscope_root_load: pgd, hpa, role */
	MMU_EV_ROOT_FREE, /* mmuscope_root_free: pgd, hpa */
};

/* A shadow page as KVM_MMU_PAGE_PRINTK prints it, captured at the event. */
struct mmu_sp_print {
	u8 gen; /* mmu_valid_gen */
	u64 gfn;
	u32 role; /* role.word */
	int root_count;
	bool unsync;
	hpa_t spt; /* the table's simulated host-physical address (not printed by KVM) */
};

struct mmu_event {
	enum mmu_ev_kind kind;
	union {
		struct {
			struct mmu_sp_print sp;
			bool created;
		} page; /* GET_PAGE, SYNC_PAGE, UNSYNC_PAGE, PREPARE_ZAP */
		struct {
			u64 gfn, spte, sptep; /* sptep: hpa of the SPTE */
			u8 level;
			bool ept; /* informational: the line is the same (KVM prints u for
				   * EPT too, its user mask being R) */
			bool r, w, x, u;
		} set_spte;
		struct {
			u64 gfn, pfn; /* KVM: fault->pfn | (gfn & (pages of goal level - 1)) */
			u8 level;
		} requested;
		struct {
			u64 sptep, gfn;
			unsigned access, gen; /* KVM: spte & ACC_ALL (so the MMIO value's
					       * low bits too), get_mmio_spte_generation() */
		} mmio;
		struct {
			u64 addr, gfn; /* addr: CR2, 0 for a direct MMU (KVM zeroes it) */
			unsigned access; /* get_mmio_spte_access() */
		} mmio_pf;
		struct {
			u64 spte;
			unsigned kvm_gen, spte_gen; /* low 19 bits of the memslot gen; the SPTE's */
		} check_mmio;
		struct {
			u8 gen;
			u64 used_pages;
		} zap_all;
		struct {
			u8 as;
			u64 gfn;
			unsigned changed; /* SPTEs that lost W */
		} wrprot;
		struct {
			int slot; /* prev_roots index that hit, or -1 (current) */
			u64 pgd, hpa;
			u32 role;
		} root;
	} u;
};

typedef void (*mmu_sink_fn)(void *ctx, const struct mmu_event *ev);

/*
 * The event's trace line without newline: "kvm_mmu_get_page: sp gen 0 gfn 0 l4
 * 8-byte q0 direct wux nxe ad root 0 sync new" for KVM's tracepoints (their exact
 * TP_printk formats, reference §12), "mmuscope_root_cache: hit prev 1 pgd 0x2000
 * hpa 0x5000 role 0x3784" for mmuscope's own. snprintf semantics. Pointers that
 * KVM prints with %p (mark_mmio_spte's sptep) are printed as the SPTE's hpa
 * (0x%llx) instead. docs/spte.md lists every line.
 */
int mmu_event_format(const struct mmu_event *ev, char *buf, size_t n);

/* The event's name as its line starts ("kvm_mmu_get_page", "mmuscope_root_cache");
 * never NULL ("mmuscope_unknown" for a value outside the enum). */
const char *mmu_event_name(enum mmu_ev_kind kind);
/* KVM_MMU_PAGE_PRINTK's text of @sp without the tracepoint name: "sp gen 0 gfn 1
 * l4 8-byte q0 wux nxe ad root 1 sync" (snprintf semantics). */
int mmu_sp_format(const struct mmu_sp_print *sp, char *buf, size_t n);

#endif
