/* SPDX-License-Identifier: MIT */
/*
 * MMU events as text: KVM's kvmmmu tracepoints with their exact TP_printk
 * formats (arch/x86/kvm/mmu/mmutrace.h), and mmuscope's own root-cache lines.
 */
#include "mmu/event.h"

#include <stdio.h>

#include "mmu/role.h"

/* TRACE_EVENT names (mmutrace.h) and mmuscope's own, indexed by enum mmu_ev_kind. */
const char *mmu_event_name(enum mmu_ev_kind kind)
{
	switch (kind) {
	case MMU_EV_GET_PAGE:
		return "kvm_mmu_get_page";
	case MMU_EV_SYNC_PAGE:
		return "kvm_mmu_sync_page";
	case MMU_EV_UNSYNC_PAGE:
		return "kvm_mmu_unsync_page";
	case MMU_EV_PREPARE_ZAP:
		return "kvm_mmu_prepare_zap_page";
	case MMU_EV_SET_SPTE:
		return "kvm_mmu_set_spte";
	case MMU_EV_SPTE_REQUESTED:
		return "kvm_mmu_spte_requested";
	case MMU_EV_MARK_MMIO_SPTE:
		return "mark_mmio_spte";
	case MMU_EV_HANDLE_MMIO_PF:
		return "handle_mmio_page_fault";
	case MMU_EV_CHECK_MMIO_SPTE:
		return "check_mmio_spte";
	case MMU_EV_ZAP_ALL_FAST:
		return "kvm_mmu_zap_all_fast";
	case MMU_EV_WRPROT_GFN:
		return "mmuscope_wrprot";
	case MMU_EV_ROOT_HIT:
	case MMU_EV_ROOT_MISS:
	case MMU_EV_ROOT_EVICT:
		return "mmuscope_root_cache";
	case MMU_EV_ROOT_LOAD:
		return "mmuscope_root_load";
	case MMU_EV_ROOT_FREE:
		return "mmuscope_root_free";
	}
	return "mmuscope_unknown";
}

/*
 * KVM_MMU_PAGE_PRINTK() (mmutrace.h):
 *   "sp gen %u gfn %llx l%u %u-byte q%u%s %s%s %snxe %sad root %u %s%c"
 * The trailing %c is a NUL that ends the string inside the trace_seq buffer,
 * so it never appears in the output; kvm_mmu_get_page appends " new" or
 * " existing" through its own "%s %s".
 */
int mmu_sp_format(const struct mmu_sp_print *sp, char *buf, size_t n)
{
	union kvm_mmu_page_role role = {.word = sp->role};
	char rs[64];

	mmu_role_trace_format(role, rs, sizeof(rs));
	return snprintf(buf, n, "sp gen %u gfn %llx %s root %u %s", (unsigned)sp->gen,
			(unsigned long long)sp->gfn, rs, (unsigned)sp->root_count,
			sp->unsync ? "unsync" : "sync");
}

static int sp_print(const char *name, const struct mmu_sp_print *sp, const char *tail, char *buf,
		    size_t n)
{
	char text[160];

	mmu_sp_format(sp, text, sizeof(text));
	return snprintf(buf, n, "%s: %s%s", name, text, tail);
}

/* The TP_printk of each tracepoint; trace_kvm_mmu_*() in mmu.c emits them. */
int mmu_event_format(const struct mmu_event *ev, char *buf, size_t n)
{
	const char *name = mmu_event_name(ev->kind);

	switch (ev->kind) {
	case MMU_EV_GET_PAGE:
		return sp_print(name, &ev->u.page.sp, ev->u.page.created ? " new" : " existing",
				buf, n);
	case MMU_EV_SYNC_PAGE:
	case MMU_EV_UNSYNC_PAGE:
	case MMU_EV_PREPARE_ZAP:
		return sp_print(name, &ev->u.page.sp, "", buf, n);
	case MMU_EV_SET_SPTE:
		/* "gfn %llx spte %llx (%s%s%s%s) level %d at %llx": r w x u, '-' when
		 * clear; u is the user-mask bit (R for EPT), printed for every format
		 * KVM configures. "at" is the SPTE's physical address. */
		return snprintf(buf, n, "%s: gfn %llx spte %llx (%s%s%s%s) level %d at %llx", name,
				(unsigned long long)ev->u.set_spte.gfn,
				(unsigned long long)ev->u.set_spte.spte,
				ev->u.set_spte.r ? "r" : "-", ev->u.set_spte.w ? "w" : "-",
				ev->u.set_spte.x ? "x" : "-", ev->u.set_spte.u ? "u" : "-",
				(int)ev->u.set_spte.level,
				(unsigned long long)ev->u.set_spte.sptep);
	case MMU_EV_SPTE_REQUESTED:
		return snprintf(buf, n, "%s: gfn %llx pfn %llx level %d", name,
				(unsigned long long)ev->u.requested.gfn,
				(unsigned long long)ev->u.requested.pfn,
				(int)ev->u.requested.level);
	case MMU_EV_MARK_MMIO_SPTE:
		/* KVM: "sptep:%p ..." -- a hashed kernel pointer; the model prints the
		 * SPTE's simulated host-physical address. */
		return snprintf(buf, n, "%s: sptep:0x%llx gfn %llx access %x gen %x", name,
				(unsigned long long)ev->u.mmio.sptep,
				(unsigned long long)ev->u.mmio.gfn, ev->u.mmio.access,
				ev->u.mmio.gen);
	case MMU_EV_HANDLE_MMIO_PF:
		return snprintf(buf, n, "%s: addr:%llx gfn %llx access %x", name,
				(unsigned long long)ev->u.mmio_pf.addr,
				(unsigned long long)ev->u.mmio_pf.gfn, ev->u.mmio_pf.access);
	case MMU_EV_CHECK_MMIO_SPTE:
		return snprintf(buf, n, "%s: spte %llx kvm_gen %x spte-gen %x valid %d", name,
				(unsigned long long)ev->u.check_mmio.spte, ev->u.check_mmio.kvm_gen,
				ev->u.check_mmio.spte_gen,
				ev->u.check_mmio.kvm_gen == ev->u.check_mmio.spte_gen);
	case MMU_EV_ZAP_ALL_FAST:
		return snprintf(buf, n, "%s: kvm-mmu-valid-gen %u used_pages %llx", name,
				(unsigned)ev->u.zap_all.gen,
				(unsigned long long)ev->u.zap_all.used_pages);
	case MMU_EV_WRPROT_GFN:
		return snprintf(buf, n, "%s: as %u gfn 0x%llx changed %u", name,
				(unsigned)ev->u.wrprot.as, (unsigned long long)ev->u.wrprot.gfn,
				ev->u.wrprot.changed);
	case MMU_EV_ROOT_HIT:
		if (ev->u.root.slot < 0)
			return snprintf(buf, n, "%s: hit current pgd 0x%llx hpa 0x%llx role 0x%x",
					name, (unsigned long long)ev->u.root.pgd,
					(unsigned long long)ev->u.root.hpa, ev->u.root.role);
		return snprintf(buf, n, "%s: hit prev %d pgd 0x%llx hpa 0x%llx role 0x%x", name,
				ev->u.root.slot, (unsigned long long)ev->u.root.pgd,
				(unsigned long long)ev->u.root.hpa, ev->u.root.role);
	case MMU_EV_ROOT_MISS:
		return snprintf(buf, n, "%s: miss pgd 0x%llx role 0x%x", name,
				(unsigned long long)ev->u.root.pgd, ev->u.root.role);
	case MMU_EV_ROOT_EVICT:
		return snprintf(buf, n, "%s: evict pgd 0x%llx hpa 0x%llx", name,
				(unsigned long long)ev->u.root.pgd,
				(unsigned long long)ev->u.root.hpa);
	case MMU_EV_ROOT_LOAD:
		return snprintf(buf, n, "%s: pgd 0x%llx hpa 0x%llx role 0x%x", name,
				(unsigned long long)ev->u.root.pgd,
				(unsigned long long)ev->u.root.hpa, ev->u.root.role);
	case MMU_EV_ROOT_FREE:
		return snprintf(buf, n, "%s: pgd 0x%llx hpa 0x%llx", name,
				(unsigned long long)ev->u.root.pgd,
				(unsigned long long)ev->u.root.hpa);
	}
	return snprintf(buf, n, "%s: kind %d", name, (int)ev->kind);
}
