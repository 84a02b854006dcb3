/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table writes (arch/x86/kvm/mmu/mmu.c): kvm_mmu_track_write() with
 * its misaligned-write and write-flooding detection and the written-SPTE
 * computation, and the write-protection fault's choice between emulation and
 * unprotect-and-retry (kvm_mmu_write_protect_fault(),
 * kvm_mmu_unprotect_gfn_and_retry(), v6.12+).
 */
#include "mmu/track.h"

#include "cpu/walk.h"
#include "mmu/page_priv.h"

/* PFERR_NESTED_GUEST_PAGE: GUEST_PAGE | WRITE | PRESENT. */
#define PFERR_NESTED_GUEST_PAGE (PFERR_GUEST_PAGE | PFERR_W | PFERR_P)

/* detect_write_misaligned() */
bool mmu_detect_write_misaligned(const struct kvm_mmu_page *sp, u64 gpa, unsigned bytes)
{
	unsigned offset = (unsigned)(gpa & (PAGE_SIZE - 1));
	unsigned pte_size = sp->role.has_4_byte_gpte ? 4 : 8;
	unsigned misaligned;

	/* "Sometimes, the OS only writes the last one bytes to update status
	 * bits": Linux's clear_bit() is an andb at the entry's first byte. */
	if (!(offset & (pte_size - 1)) && bytes == 1)
		return false;
	misaligned = (offset ^ (offset + bytes - 1)) & ~(pte_size - 1);
	misaligned |= bytes < 4;
	return misaligned != 0;
}

/* detect_write_flooding(): level-1 SPs may go unsync instead, so they never flood. */
bool mmu_detect_write_flooding(struct kvm_mmu_page *sp)
{
	if (sp->role.level == 1)
		return false;
	sp->write_flooding_count++;
	return sp->write_flooding_count >= MMU_WRITE_FLOODING_THRESHOLD;
}

/* get_written_sptes() */
u64 mmu_get_written_sptes(const struct kvm_mmu_page *sp, u64 gpa, unsigned *nspte)
{
	unsigned page_offset = (unsigned)(gpa & (PAGE_SIZE - 1)), quadrant;

	*nspte = 1;
	if (sp->role.has_4_byte_gpte) {
		page_offset <<= 1; /* 32->64 */
		/*
		 * A 32-bit PDE maps 4 MiB while the shadow PDEs map 2 MiB: the
		 * write is shadowed by two SPTEs.
		 */
		if (sp->role.level == 2) {
			page_offset &= ~7u; /* kill the low bits */
			page_offset <<= 1;
			*nspte = 2;
		}
		quadrant = page_offset >> PAGE_SHIFT;
		page_offset &= PAGE_SIZE - 1;
		if (quadrant != sp->role.quadrant)
			return 0;
	}
	return sp->spt + page_offset;
}

/* mmu_pte_write_fetch_gpte(): the gpte after the write (0 for other sizes or on error). */
static u64 fetch_gpte(const struct mmu_vm *vm, u8 as, bool guest_pae, u64 *gpa, unsigned *bytes)
{
	u64 gentry = 0;

	/* A 32-bit PAE guest writing the two halves of a 64-bit gpte. */
	if (guest_pae && *bytes == 4) {
		*gpa &= ~7ULL;
		*bytes = 8;
	}
	if (*bytes == 8) {
		if (gmem_read64(vm->gmem, as, *gpa, &gentry))
			gentry = 0;
	} else if (*bytes == 4) {
		u32 v;

		gentry = gmem_read32(vm->gmem, as, *gpa, &v) ? 0 : v;
	}
	return gentry;
}

/* kvm_mmu_track_write() */
void mmu_track_write(struct mmu_vm *vm, u8 as, bool guest_pae, u64 gpa, unsigned bytes)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct mlist *h = &vm->mmu_page_hash[mmu_page_hashfn(gfn)];
	struct mlist invalid, *p, *nx;
	bool flush = false;
	u64 gentry;

	/* No indirect shadow pages: nothing is write-protected. */
	if (!vm->indirect_shadow_pages)
		return;
	mlist_init(&invalid);
	gentry = fetch_gpte(vm, as, guest_pae, &gpa, &bytes);
	vm->stats.mmu_pte_write++;
	for (p = h->next; p != h; p = nx) {
		struct kvm_mmu_page *sp = sp_of_hash_link(p);
		unsigned npte;
		u64 sptep;

		nx = p->next;
		/* for_each_gfn_valid_sp_with_gptes(): every address space. */
		if (!sp_valid_with_gptes_at(vm, sp, gfn))
			continue;
		if (mmu_detect_write_misaligned(sp, gpa, bytes) || mmu_detect_write_flooding(sp)) {
			/* Zapped pages stay in the bucket until the commit. */
			mmu_prepare_zap(vm, sp, &invalid);
			vm->stats.mmu_flooded++;
			continue;
		}
		sptep = mmu_get_written_sptes(sp, gpa, &npte);
		if (!sptep)
			continue;
		for (; npte--; sptep += 8) {
			u64 entry = spte_load(vm, sptep);

			mmu_page_zap_pte(vm, sp, sptep, NULL);
			if (gentry && sp->role.level != 1)
				vm->stats.mmu_pde_zapped++;
			if (is_shadow_present_pte(entry))
				flush = true;
		}
	}
	/* kvm_mmu_remote_flush_or_zap() */
	if (!mlist_empty(&invalid))
		mmu_commit_zap_page(vm, &invalid);
	else if (flush)
		mmu_flush_remote_tlbs(vm);
}

/* kvm_mmu_unprotect_gfn_and_retry() */
bool mmu_unprotect_gfn_and_retry(struct mmu_vcpu *v, u64 rip, u64 cr2_or_gpa, u64 gpa)
{
	bool r;

	if (!v->vm->indirect_shadow_pages)
		return false;
	r = mmu_unprotect_page(v->vm, (u8)v->mmu->root_role.smm, gpa >> PAGE_SHIFT);
	if (r) {
		v->last_retry_eip = rip;
		v->last_retry_addr = cr2_or_gpa;
	}
	return r;
}

/* kvm_mmu_write_protect_fault() */
int mmu_write_protect_fault(struct mmu_vcpu *v, u64 rip, u64 cr2_or_gpa, u64 error_code,
			    bool guest_mode, unsigned *emulation_type)
{
	bool direct = v->mmu->root_role.direct;

	/*
	 * Do not unprotect and retry when the vCPU re-faulted on the RIP and
	 * address it was last retried at: that could loop forever.
	 */
	if (v->last_retry_eip == rip && v->last_retry_addr == cr2_or_gpa)
		return RET_PF_EMULATE;
	v->last_retry_eip = 0;
	v->last_retry_addr = 0;
	/*
	 * A direct MMU's write fault while the CPU walked L1's own page tables
	 * that KVM write-protected because they double as shadowed nested NPT
	 * tables: unprotect and resume if that zapped anything.
	 */
	if (direct && (error_code & PFERR_NESTED_GUEST_PAGE) == PFERR_NESTED_GUEST_PAGE &&
	    mmu_unprotect_gfn_and_retry(v, rip, cr2_or_gpa, cr2_or_gpa))
		return RET_PF_FIXED;
	/* (KVM also unprotects a shadow MMU's gfn when an event awaits reinjection;
	 * the model injects no events.) Retrying an L2 instruction cannot help:
	 * KVM shadows L1's tables only. */
	if (!guest_mode)
		*emulation_type |= EMULTYPE_ALLOW_RETRY_PF;
	return RET_PF_EMULATE;
}
