/* SPDX-License-Identifier: MIT */
/*
 * The common set-up of the mmu/ unit tests that fault through real guest tables:
 * guest memory with one 64 MiB memslot (host frame = 2^28 + guest frame), a
 * simulated host memory for KVM's tables, an mmu_vm with an event recorder, one
 * vCPU and a page-table builder allocating guest tables from 1 MiB up. Include it
 * after <cmocka.h>; every helper is static inline so a test uses what it needs.
 */
#ifndef MSC_TESTS_MMU_FIXTURE_H
#define MSC_TESTS_MMU_FIXTURE_H

#include <stdlib.h>

#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/walk.h"
#include "mmu/fault.h"

#define MiB (1ULL << 20)
#define GUEST_RAM (64 * MiB)
#define PFN_BASE (1ULL << 28)
#define MAX_EVENTS 512

#define EXPECT_HEX(want, got)                                                                      \
	do {                                                                                       \
		unsigned long long want_ = (unsigned long long)(want);                             \
		unsigned long long got_ = (unsigned long long)(got);                               \
		if (want_ != got_) {                                                               \
			print_error("%s:%d: %s: want %#llx got %#llx\n", __FILE__, __LINE__, #got, \
				    want_, got_);                                                  \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_OK(expr) EXPECT_HEX(0, (expr))

#define CR0_PG_WP (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)
#define EFER_LONG (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)

struct fx {
	struct gmem *gmem;
	struct hmem *hmem;
	struct mmu_vm vm;
	struct spte_masks masks;
	struct mmu_vcpu v;
	struct cpu_regs r;
	struct cpu_features feat;
	struct pt_bump bump;
	struct pt_builder b;
	struct mmu_fault_out out;
	struct mmu_event ev[MAX_EVENTS];
	unsigned nev;
	unsigned sync_calls; /* for tests that bind vm.sync_page */
};

/* The VM's event sink: keeps the first MAX_EVENTS, counts all. */
static inline void fx_sink(void *ctx, const struct mmu_event *ev)
{
	struct fx *f = ctx;

	if (f->nev < MAX_EVENTS)
		f->ev[f->nev] = *ev;
	f->nev++;
}

/* Host frame = (1 << 28) + guest frame, for any gfn in a memslot. */
static inline bool fx_gfn_to_pfn(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable)
{
	struct fx *f = ctx;

	if (!gmem_slot_find(f->gmem, as, gfn << PAGE_SHIFT, NULL))
		return false;
	*pfn = PFN_BASE + gfn;
	*writable = true;
	return true;
}

/*
 * A VM on a @host_bits host (legacy SPTE masks), one vCPU (@tdp: legacy direct
 * TDP, 4 levels), guest tables of @fmt and the registers for that mode.
 */
static inline struct fx *fx_create_host(bool tdp, enum walk_fmt fmt, u64 cr0, u64 cr4, u64 efer,
					u8 host_bits)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = GUEST_RAM};

	assert_non_null(f);
	EXPECT_OK(gmem_create(&f->gmem, 0));
	EXPECT_OK(gmem_slot_add(f->gmem, &d));
	EXPECT_OK(hmem_create(&f->hmem, 0));
	spte_masks_init_legacy(&f->masks, host_bits);
	EXPECT_OK(mmu_vm_init(&f->vm, f->hmem, f->gmem, &f->masks, fx_gfn_to_pfn, f));
	f->vm.sink = fx_sink;
	f->vm.sink_ctx = f;
	f->vm.tdp_enabled = tdp;
	mmu_vcpu_init(&f->v, &f->vm, tdp, 4, 0, true, 46);
	cpu_features_default(&f->feat, CPU_VENDOR_INTEL);
	f->bump = (struct pt_bump){.m = f->gmem, .as = 0, .next = 0x100000, .end = 0x200000};
	f->b = (struct pt_builder){.m = f->gmem,
				   .as = 0,
				   .fmt = fmt,
				   .upper_flags = pt_default_upper_flags(fmt),
				   .alloc = pt_bump_alloc,
				   .alloc_ctx = &f->bump};
	EXPECT_OK(pt_bump_alloc(&f->bump, &f->b.root));
	f->r.cr0 = cr0;
	f->r.cr4 = cr4;
	f->r.efer = efer;
	f->r.cr3 = f->b.root;
	return f;
}

/* kvm_init_mmu() from the registers, then kvm_mmu_load() (pgd 0 for TDP). */
static inline void fx_load(struct fx *f)
{
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, f->v.mmu->root_role.direct && f->v.tdp_enabled ? 0 : f->r.cr3));
}

static inline void fx_destroy(struct fx *f)
{
	mmu_vcpu_destroy(&f->v);
	mmu_vm_destroy(&f->vm);
	hmem_destroy(f->hmem);
	gmem_destroy(f->gmem);
	free(f);
}

/* kvm_mmu_page_fault() at @addr with @error_code, the result in f->out. */
static inline int fault(struct fx *f, u64 addr, u64 error_code)
{
	return mmu_page_fault(&f->v, &f->r, &f->feat, addr, error_code, &f->out);
}

/* The gfn of the guest table holding @va's level-@level entry. */
static inline gfn_t table_gfn(struct fx *f, u64 va, unsigned level)
{
	u64 pa = 0;

	EXPECT_OK(pt_entry_addr(&f->b, va, level, &pa));
	return pa >> PAGE_SHIFT;
}

/* How many events of @kind were recorded since @from. */
static inline unsigned count_events(const struct fx *f, unsigned from, enum mmu_ev_kind kind)
{
	unsigned n = 0;

	for (unsigned i = from; i < f->nev && i < MAX_EVENTS; i++)
		n += f->ev[i].kind == kind;
	return n;
}

#endif
