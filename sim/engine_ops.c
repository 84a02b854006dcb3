/* SPDX-License-Identifier: MIT */
/*
 * The engine's ops: register writes, page-table edits, memory, guest accesses through
 * the simulated CPU (TLB, walk, #PF delivery), TLB invalidations, memslots. Each
 * reports its state changes as events and leaves its outcome in sim->obs.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/err.h"
#include "cpu/walk.h"
#include "mmu/fault.h"
#include "mmu/sync.h"
#include "mmu/track.h"
#include "sim/engine_priv.h"

static struct sim_vcpu *cur_vcpu(struct sim *sim)
{
	return &sim->mc->vcpu[sim->cur_vcpu];
}

static void step_path(const struct sim *sim, char *path, size_t n)
{
	snprintf(path, n, "/steps/%u", (unsigned)sim->cur);
}

void sim_emit_flush(struct sim *sim, const char *what, u64 va, u16 pcid, size_t dropped)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_TLB_FLUSH;
	ev.u.flush.what = what;
	ev.u.flush.va = va;
	ev.u.flush.pcid = pcid;
	ev.u.flush.dropped = dropped;
	sim->mc->c.tlb_flushes++;
	sim_emit(sim, &ev);
}

/* ---- set ---- */

static int op_set(struct sim *sim, const struct scn_step *st)
{
	struct sim_vcpu *v = cur_vcpu(sim);

	for (unsigned i = 0; i < st->u.set.nregs && i < SCN_NR_REGS; i++) {
		const struct scn_regval *rv = &st->u.set.regs[i];
		size_t before = tlb_count(v->tlb);
		u64 old = sim_read_reg(&v->cpu.r, rv->reg);
		struct cpu_wr w = sim_write_reg(&v->cpu, rv->reg, rv->val);
		size_t after = tlb_count(v->tlb);
		struct sim_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_REG_WRITE;
		ev.u.reg.reg = rv->reg;
		ev.u.reg.old = old;
		ev.u.reg.val = rv->val;
		ev.u.reg.now = sim_read_reg(&v->cpu.r, rv->reg);
		ev.u.reg.vector = w.vector;
		ev.u.reg.rule = w.rule;
		sim->mc->c.reg_writes++;
		sim_emit(sim, &ev);
		if (w.vector) {
			/* A refused write changes nothing; the rest of the step is not run. */
			sim->mc->c.reg_refused++;
			sim->obs.fault = w.vector == X86_VEC_UD ? SCN_FAULT_UD : SCN_FAULT_GP;
			sim->obs.rule = w.rule;
			if (w.vector == X86_VEC_GP)
				sim->mc->c.faults_gp++;
			return 0;
		}
		/* The flush the write architecturally implies (SDM 4.10.4.1), done by cpu/. */
		if (after < before)
			sim_emit_flush(sim, scn_reg_name(rv->reg), 0, cpu_pcid(&v->cpu.r),
				       before - after);
		/* What KVM does after the write (kvm_post_set_cr0/cr4, kvm_set_cr3, set_efer). */
		sim_mmu_post_write(sim, v, rv->reg, old, rv->val);
	}
	return 0;
}

/* ---- map, unmap, set_entry ---- */

struct pt_hook {
	struct sim *sim;
	struct gmem *m;
	u8 as;
	bool guest;
};

/* Every entry write of the builder: a host (setup) or guest write, reported. */
static int pt_write(void *ctx, u64 pa, unsigned level, u64 old, u64 val, unsigned size)
{
	struct pt_hook *h = ctx;
	struct sim_event ev;
	u8 buf[8];
	bool dropped = false, trapped;
	int r;

	if (size != 4 && size != 8)
		return MSC_EINVAL;
	if (size == 4)
		val &= 0xffffffffULL;
	msc_le_put(buf, val, size);
	/* A guest store may trap on KVM's write protection (decided before it lands). */
	trapped = h->guest && sim_mmu_store_trapped(h->sim, h->as, pa);
	if (h->guest) {
		/* A guest write: a read-only memslot drops it (KVM: an MMIO exit). */
		r = gmem_write(h->m, h->as, pa, buf, size);
		if (r == MSC_EOPNOTSUPP) {
			dropped = true;
			r = 0;
		}
	} else {
		r = gmem_write_host(h->m, h->as, pa, buf, size);
	}
	if (r)
		return r;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_PT_WRITE;
	ev.u.pt.as = h->as;
	ev.u.pt.gpa = pa;
	ev.u.pt.level = (u8)level;
	ev.u.pt.old = old;
	ev.u.pt.val = val;
	ev.u.pt.size = (u8)size;
	ev.u.pt.guest = h->guest;
	ev.u.pt.dropped = dropped;
	ev.u.pt.trapped = trapped;
	h->sim->mc->c.pt_writes++;
	sim_emit(h->sim, &ev);
	if (trapped)
		sim_mmu_emulated_write(h->sim, h->sim->cur_vcpu, h->as, pa, size);
	return 0;
}

/* New tables come from machine.pt_pool, lowest page first, zeroed. */
static int pool_alloc(void *ctx, u64 *pa)
{
	struct sim *sim = ctx;

	if (!sim->mc->has_pool) {
		sim->pool_missing = true;
		return MSC_ENOENT;
	}
	return pt_bump_alloc(&sim->mc->pool, pa);
}

void sim_pt_builder(struct sim *sim, const struct scn_pt_ref *ref, struct pt_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->m = sim->mc->mem;
	b->as = ref->as;
	b->root = ref->root;
	b->fmt = scn_fmt_walk(ref->fmt, &b->levels);
	b->upper_flags = pt_default_upper_flags(b->fmt);
}

static const char *pt_error(struct sim *sim, int r)
{
	switch (r) {
	case MSC_ENOENT:
		return sim->pool_missing ? "a new table is needed but the machine has no pt_pool"
					 : "no entry on the path at that level";
	case MSC_ENOSPC:
		return "pt_pool exhausted";
	case MSC_EFAULT:
		return "a table is not backed by a memslot";
	case MSC_EINVAL:
		return "va, pa or size misaligned, or size or level not valid for the format";
	default:
		return msc_strerror(r);
	}
}

static int op_pt(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct pt_builder b;
	struct pt_hook hook = {
		.sim = sim,
		.m = sim->mc->mem,
		.as = st->u.pt.pt.as,
		.guest = st->u.pt.mode == SCN_WRITE_GUEST,
	};
	char path[64];
	int r = 0;

	sim_pt_builder(sim, &st->u.pt.pt, &b);
	b.alloc = pool_alloc;
	b.alloc_ctx = sim;
	b.write = pt_write;
	b.write_ctx = &hook;
	sim->pool_missing = false;
	if (st->op == SCN_OP_MAP) {
		r = pt_map(&b, st->u.pt.va, st->u.pt.pa, st->u.pt.size, st->u.pt.flags);
	} else if (st->op == SCN_OP_UNMAP) {
		r = pt_unmap(&b, st->u.pt.va);
		if (r == MSC_ENOENT) {
			step_path(sim, path, sizeof(path));
			sim_err(sim, err, st->pos, path, "unmap: va 0x%llx is not mapped",
				(unsigned long long)st->u.pt.va);
			return MSC_EINVAL;
		}
	} else {
		r = pt_set_entry(&b, st->u.pt.va, st->u.pt.level, st->u.pt.value);
		if (r == MSC_ENOENT) {
			step_path(sim, path, sizeof(path));
			sim_err(sim, err, st->pos, path,
				"set_entry: the path of va 0x%llx ends above level %u",
				(unsigned long long)st->u.pt.va, (unsigned)st->u.pt.level);
			return MSC_EINVAL;
		}
	}
	if (r) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path, "%s: %s", scn_op_name(st->op), pt_error(sim, r));
		return r == MSC_ENOMEM ? r : MSC_EINVAL;
	}
	return 0;
}

/* ---- mem_write, mem_read ---- */

static bool mem_size_ok(u8 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static int op_mem(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	const u8 as = st->u.mem.as, size = st->u.mem.size;
	const u64 gpa = st->u.mem.gpa;
	struct sim_event ev;
	char path[64];
	u8 buf[8] = {0};
	int r;

	step_path(sim, path, sizeof(path));
	if (!mem_size_ok(size)) {
		sim_err(sim, err, st->pos, path, "size %u is not 1, 2, 4 or 8", (unsigned)size);
		return MSC_EINVAL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.u.mem.as = as;
	ev.u.mem.gpa = gpa;
	ev.u.mem.size = size;
	if (st->op == SCN_OP_MEM_READ) {
		r = gmem_read(sim->mc->mem, as, gpa, buf, size);
		if (r) {
			sim_err(sim, err, st->pos, path, "mem_read: gpa 0x%llx in as %u: %s",
				(unsigned long long)gpa, (unsigned)as, msc_strerror(r));
			return MSC_EINVAL;
		}
		ev.kind = SIM_EV_MEM_READ;
		ev.u.mem.val = msc_le_get(buf, size);
		sim->obs.value = ev.u.mem.val;
		sim->obs.has_value = true;
		sim->mc->c.mem_reads++;
		sim_emit(sim, &ev);
		return 0;
	}
	ev.kind = SIM_EV_MEM_WRITE;
	ev.u.mem.val = st->u.mem.value & size_mask(size);
	ev.u.mem.host = st->u.mem.host;
	msc_le_put(buf, ev.u.mem.val, size);
	if (st->u.mem.host) {
		r = gmem_write_host(sim->mc->mem, as, gpa, buf, size);
	} else {
		ev.u.mem.trapped = sim_mmu_store_trapped(sim, as, gpa);
		r = gmem_write(sim->mc->mem, as, gpa, buf, size);
		if (r == MSC_EOPNOTSUPP) {
			ev.u.mem.dropped = true; /* read-only memslot */
			r = 0;
		}
	}
	if (r) {
		sim_err(sim, err, st->pos, path, "mem_write: gpa 0x%llx in as %u: %s",
			(unsigned long long)gpa, (unsigned)as, msc_strerror(r));
		return MSC_EINVAL;
	}
	sim->mc->c.mem_writes++;
	sim_emit(sim, &ev);
	if (ev.u.mem.trapped)
		sim_mmu_emulated_write(sim, sim->cur_vcpu, as, gpa, size);
	return 0;
}

/* ---- access ---- */

/* Linear-address width: 48 or 57 bits in IA-32e paging, else 32 (SDM 3.3.7.1, 4.1.1). */
static bool ia32e(const struct walk_cfg *cfg)
{
	return cfg->fmt == WALK_FMT_4LVL || cfg->fmt == WALK_FMT_5LVL;
}

/* Canonical for a @bits-wide linear address: bits 63:bits-1 all equal (SDM 3.3.7.1). */
static bool canonical(u64 va, unsigned bits)
{
	u64 top = va >> (bits - 1);

	return top == 0 || top == (~0ULL >> (bits - 1));
}

/* The linear address an access or INVLPG uses: outside IA-32e mode, 32 bits. */
static u64 linear(const struct walk_cfg *cfg, u64 va)
{
	return ia32e(cfg) ? va : va & 0xffffffffULL;
}

static enum scn_fault_kind fault_of(enum walk_fault_kind k)
{
	switch (k) {
	case WALK_FAULT_NONE:
		return SCN_FAULT_NONE;
	case WALK_FAULT_PF:
		return SCN_FAULT_PF;
	case WALK_FAULT_GP:
		return SCN_FAULT_GP;
	case WALK_FAULT_EPT_VIOLATION:
		return SCN_FAULT_EPT_VIOLATION;
	case WALK_FAULT_EPT_MISCONFIG:
		return SCN_FAULT_EPT_MISCONFIG;
	case WALK_FAULT_NPF:
		return SCN_FAULT_NPF;
	}
	return SCN_FAULT_NONE;
}

static enum walk_access walk_acc_of(enum scn_access_kind k)
{
	switch (k) {
	case SCN_ACC_READ:
		return WALK_ACC_READ;
	case SCN_ACC_WRITE:
		return WALK_ACC_WRITE;
	case SCN_ACC_FETCH:
		return WALK_ACC_FETCH;
	}
	return WALK_ACC_READ;
}

/* The outcome the simulated CPU produced (the access's own view of it). */
struct outcome {
	enum walk_fault_kind fault;
	u64 error_code; /* #PF error code */
	u64 cr2;
	u64 gpa; /* also the gpa of an EPT violation/misconfiguration or #NPF */
	u64 qual; /* EPT violation exit qualification */
	u64 page_size;
	const char *rule;
	bool from_tlb;
	/* The access completed by emulating a write-protection fault: the
	 * emulated write's size (kvm_mmu_track_write() sees it); 0 otherwise. */
	u8 wp_write_size;
	/* Shadow paging: the hardware holds no writable translation (a read-only
	 * SPTE, or KVM completed the access by emulation). */
	bool hw_readonly;
};

/*
 * The TLB entry the simulated CPU uses for @req, or NULL: the first held entry
 * (deterministic order) whose rights deny the access (a stale entry faults
 * without a walk, SDM 4.10.4.3), or that permits it, unless it is a write
 * through an entry whose D is clear, for which the CPU walks to set D (SDM 4.8).
 */
static const struct tlb_entry *tlb_pick(const struct tlb *t, u16 vpid, u16 pcid,
					const struct walk_cfg *cfg, const struct walk_req *req,
					u64 *perm, const char **rule)
{
	const struct tlb_entry *ents[TLB_MAX_OUTCOMES];
	size_t n = tlb_lookup(t, vpid, pcid, req->addr, ents, TLB_MAX_OUTCOMES);

	for (size_t i = 0; i < n && i < TLB_MAX_OUTCOMES; i++) {
		if (!tlb_entry_nested_allows(ents[i], req->acc))
			continue;
		*perm = walk_permission(cfg, req, ents[i]->acc, ents[i]->pkey, rule);
		if (*perm)
			return ents[i];
		if (req->acc == WALK_ACC_WRITE && !ents[i]->dirty)
			continue;
		return ents[i];
	}
	return NULL;
}

/* The entry tlb_insert() made for a successful walk of @lin. */
static const struct tlb_entry *tlb_find(const struct tlb *t, u16 vpid, u16 pcid, u64 lin,
					const struct walk_result *res)
{
	const struct tlb_entry *ents[TLB_MAX_OUTCOMES];
	size_t n = tlb_lookup(t, vpid, pcid, lin, ents, TLB_MAX_OUTCOMES);

	for (size_t i = 0; i < n && i < TLB_MAX_OUTCOMES; i++)
		if (ents[i]->size == res->page_size && ents[i]->global == res->global &&
		    ents[i]->pa == (res->gpa & ~(res->page_size - 1)))
			return ents[i];
	return NULL;
}

static bool outcome_allowed(const struct outcome *o, const struct tlb_outcome *allowed, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (allowed[i].fault != o->fault)
			continue;
		if (o->fault == WALK_FAULT_NONE && allowed[i].gpa != o->gpa)
			continue;
		if (o->fault == WALK_FAULT_PF && allowed[i].error_code != o->error_code)
			continue;
		return true;
	}
	return false;
}

/* The data part of a completed access: read the value or write it. A write KVM
 * emulated for a write-protection fault (@wp_size bytes, the instruction's)
 * reaches kvm_mmu_track_write() after it lands. */
static const char *access_data(struct sim *sim, const struct scn_step *st, u8 as, u64 gpa,
			       u8 wp_size, u64 *value)
{
	const unsigned size = st->u.access.size;
	struct sim_event ev;
	u8 buf[8] = {0};
	int r;

	switch (st->u.access.kind) {
	case SCN_ACC_FETCH:
		return NULL;
	case SCN_ACC_READ:
		if (gmem_read(sim->mc->mem, as, gpa, buf, size)) {
			/* Nothing behind the address: reads float high (KVM: an MMIO exit). */
			*value = size_mask(size);
			return "no memslot at gpa: the read returns all ones";
		}
		*value = msc_le_get(buf, size);
		return NULL;
	case SCN_ACC_WRITE:
		break;
	}
	*value = st->u.access.value & size_mask(size);
	msc_le_put(buf, *value, size);
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_MEM_WRITE;
	ev.u.mem.as = as;
	ev.u.mem.gpa = gpa;
	ev.u.mem.val = *value;
	ev.u.mem.size = (u8)size;
	r = gmem_write(sim->mc->mem, as, gpa, buf, size);
	ev.u.mem.dropped = r != 0;
	ev.u.mem.unbacked = r != 0 && r != MSC_EOPNOTSUPP;
	ev.u.mem.trapped = !r && wp_size;
	sim->mc->c.mem_writes++;
	sim_emit(sim, &ev);
	if (ev.u.mem.trapped)
		sim_mmu_emulated_write(sim, sim->cur_vcpu, as, gpa, wp_size);
	if (ev.u.mem.unbacked)
		return "no memslot at gpa: the write is dropped";
	if (ev.u.mem.dropped)
		return "read-only memslot: the write is dropped";
	return NULL;
}

static int emit_insn(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	const struct cpu_regs *r = &cur_vcpu(sim)->cpu.r;
	/*
	 * 64-bit mode is IA-32e mode with CS.L=1 (SDM Vol. 3 2.2.1); real mode runs
	 * 16-bit code (SDM Vol. 3, 8086 Emulation: Real-Address Mode); protected and
	 * compatibility mode are taken as 32-bit code (CS.D=1: segment descriptors
	 * are not modelled). Scenarios cannot set CS.L yet.
	 */
	unsigned bits = (r->efer & X86_EFER_LMA) && r->cs_l ? 64 : (r->cr0 & X86_CR0_PE) ? 32 : 16;
	struct decoded_insn d;
	struct sim_event ev;
	char path[64];
	int rc = decode_insn(st->insn, st->insn_len, bits, 0, &d);

	if (rc) {
		snprintf(path, sizeof(path), "/steps/%u/insn", (unsigned)sim->cur);
		sim_err(sim, err, st->pos, path, "decoding the instruction: %s", msc_strerror(rc));
		return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_INSN;
	ev.u.insn.bytes = st->insn;
	ev.u.insn.len = st->insn_len;
	ev.u.insn.text = d.text;
	ev.u.insn.write_size = d.write_size;
	ev.u.insn.bits = (u8)bits;
	sim_emit(sim, &ev);
	return 0;
}

/* ---- the hardware loop (shadow paging) ---- */

/* Shadow tables in hmem, read-only: hardware A/D in SPTEs are not modelled. */
static void *hw_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	const struct hmem *h = ctx;
	u8 *p = hmem_ptr(h, pa & ~(u64)(PAGE_SIZE - 1));

	*writable = false;
	if (!p || (pa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return NULL;
	return p + (pa & (PAGE_SIZE - 1));
}

/*
 * The paging controls the hardware runs a shadowed guest with: KVM's root in CR3
 * (the PAE root page's four entries as PDPTE registers for 32-bit, PAE and
 * non-paging guests), CR0.WP=1 (guest CR0.WP=0 is emulated in the SPTEs),
 * EFER.NXE=1, and the guest's CR4.SMEP/SMAP/PKE and PKRU while it pages. The
 * host's MAXPHYADDR is the SPTE masks' (51: bit 51 of an MMIO SPTE is reserved,
 * so the walk faults with PFERR_RSVD).
 */
static bool hw_cfg(struct sim *sim, struct sim_vcpu *v, const struct walk_cfg *arch,
		   struct walk_cfg *hw)
{
	const struct kvm_mmu *mmu = v->mmu.mmu;
	const u64 *pae;

	*hw = *arch;
	hw->wp = true;
	/* Variant shadow_without_nx: the host runs the guest without EFER.NXE. */
	hw->nxe = !mmu_variant(&sim->mc->vm, MMU_VAR_SHADOW_WITHOUT_NX);
	hw->pse = true;
	hw->pse36 = false;
	hw->gbpages = true;
	hw->npt = false;
	hw->maxphyaddr = sim->mc->masks.host_maxphyaddr;
	if (arch->fmt == WALK_FMT_NONE)
		hw->smep = hw->smap = hw->pke = false;
	hw->root = mmu->root.hpa;
	if (mmu->root.hpa == INVALID_PAGE)
		return false;
	switch (mmu->root_role.level) {
	case 5:
		hw->fmt = WALK_FMT_5LVL;
		hw->levels = 5;
		return true;
	case 4:
		hw->fmt = WALK_FMT_4LVL;
		hw->levels = 4;
		return true;
	case 3:
		pae = hmem_ptr(sim->mc->hmem, mmu->root.hpa);
		if (!pae)
			return false;
		hw->fmt = WALK_FMT_PAE;
		hw->levels = 3;
		for (unsigned i = 0; i < 4; i++)
			hw->pdpte[i] = pae[i];
		return true;
	}
	return false;
}

/* Host-physical memory as the hardware sees it under TDP: KVM's tables (hmem
 * frames, below SIM_GUEST_PFN_BASE) and guest RAM (the guest tables the first
 * stage walks, whose A/D bits the hardware sets). */
struct hw_tdp_mem {
	struct sim *sim;
	u8 as;
	struct walk_mem guest; /* over gmem, address space as */
	struct walk_gmem_ctx gctx;
};

static void *hw_tdp_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	struct hw_tdp_mem *m = ctx;
	gfn_t gfn;

	if ((pa >> PAGE_SHIFT) < SIM_GUEST_PFN_BASE)
		return hw_map(m->sim->mc->hmem, pa, len, writable);
	if (!sim_pfn_to_gfn(m->sim, m->as, pa >> PAGE_SHIFT, NULL, 0, &gfn))
		return NULL;
	return m->guest.map(m->guest.ctx, (gfn << PAGE_SHIFT) | (pa & (PAGE_SIZE - 1)), len,
			    writable);
}

/*
 * The second stage the hardware walks for a TDP guest: KVM's root as an EPTP
 * (walk length from root_role.level, A/D as KVM enables them, write-back) or as
 * nCR3 walked in the host's long-mode format. Host frames are wide (guest RAM
 * lives far above the tables): EPT is walked with MAXPHYADDR 52, NPT with the
 * masks' host MAXPHYADDR.
 */
static bool hw_tdp_cfg(struct sim *sim, struct sim_vcpu *v, struct walk_cfg *n)
{
	const struct kvm_mmu *mmu = v->mmu.mmu;
	struct cpu_regs host;

	if (mmu->root.hpa == INVALID_PAGE)
		return false;
	if (sim->s->machine.tdp == SCN_TDP_EPT) {
		u64 eptp = mmu->root.hpa | ((u64)(mmu->root_role.level - 1) << 3) | 6;

		/* construct_eptp(): in guest mode A/D only when L1's EPTP enables them. */
		if (v->mmu.ad_enabled && !mmu->root_role.ad_disabled)
			eptp |= 1ULL << 6;
		walk_cfg_ept(n, eptp, v->cpu.feat);
		n->maxphyaddr = 52;
		return true;
	}
	memset(&host, 0, sizeof(host));
	host.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	host.cr4 = X86_CR4_PAE | (mmu->root_role.level == 5 ? X86_CR4_LA57 : 0);
	host.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	walk_cfg_npt(n, mmu->root.hpa, &host, v->cpu.feat);
	n->maxphyaddr = sim->mc->masks.host_maxphyaddr;
	return true;
}

/*
 * The error code KVM builds from a TDP exit: __vmx_handle_ept_violation()
 * (read -> U, write -> W, fetch -> FETCH, any of the entry's RWX -> P, and with
 * a valid GVA GUEST_FINAL or GUEST_PAGE), PFERR_RSVD for an EPT misconfiguration
 * (handle_ept_misconfig() goes to the MMIO path), EXITINFO1 for #NPF.
 */
static u64 tdp_error_code(const struct walk_fault *f)
{
	u64 q = f->exit_qual, ec = 0;

	if (f->kind == WALK_FAULT_EPT_MISCONFIG)
		return PFERR_RSVD;
	if (f->kind != WALK_FAULT_EPT_VIOLATION)
		return f->error_code;
	ec |= (q & BIT_ULL(0)) ? PFERR_U : 0;
	ec |= (q & BIT_ULL(1)) ? PFERR_W : 0;
	ec |= (q & BIT_ULL(2)) ? PFERR_FETCH : 0;
	ec |= (q & GENMASK_ULL(5, 3)) ? PFERR_P : 0;
	if (q & BIT_ULL(7))
		ec |= (q & BIT_ULL(8)) ? PFERR_GUEST_FINAL : PFERR_GUEST_PAGE;
	return ec;
}

/* What a write-protection exit did (the vmexit event's wp fields). */
struct wp_exit {
	bool wp, unprotect, pt_writing;
	u64 gfn;
	u8 size;
};

static void vmexit_event(struct sim *sim, enum walk_fault_kind kind, u64 gva, u64 ec,
			 const struct mmu_fault_out *out, const struct wp_exit *wp)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_VMEXIT;
	ev.u.vmexit.exit_kind = (u8)kind;
	ev.u.vmexit.gva = gva;
	ev.u.vmexit.error_code = ec;
	ev.u.vmexit.ret = out->ret;
	ev.u.vmexit.inject = out->inject;
	ev.u.vmexit.emulate = !out->inject && out->ret == RET_PF_EMULATE;
	ev.u.vmexit.inject_error_code = out->inject_error_code;
	ev.u.vmexit.inject_cr2 = out->inject_cr2;
	ev.u.vmexit.wp = wp->wp;
	ev.u.vmexit.unprotect = wp->unprotect;
	ev.u.vmexit.pt_writing = wp->pt_writing;
	ev.u.vmexit.wp_gfn = wp->gfn;
	ev.u.vmexit.wp_size = wp->size;
	ev.u.vmexit.reflect = out->reflect;
	if (out->reflect) {
		ev.u.vmexit.reflect_kind = (u8)out->walk.fault.kind;
		ev.u.vmexit.reflect_qual = out->walk.fault.exit_qual;
		ev.u.vmexit.reflect_error_code = out->walk.fault.error_code;
		ev.u.vmexit.reflect_gpa = out->walk.fault.gpa;
	}
	sim->mc->c.vmexits++;
	sim_emit(sim, &ev);
}

/* The instruction's code size: 64-bit with CS.L in IA-32e mode, 16-bit in real
 * mode, else 32-bit (as emit_insn() decodes it). */
static unsigned code_bits(const struct cpu_regs *r)
{
	if ((r->efer & X86_EFER_LMA) && r->cs_l)
		return 64;
	return (r->cr0 & X86_CR0_PE) ? 32 : 16;
}

/*
 * A write fault on a gfn KVM write-protects (page_fault_handle_page_track(), or
 * a leaf make_spte() had to keep read-only): kvm_mmu_write_protect_fault(),
 * then x86_emulate_instruction()'s choice -- with EMULTYPE_ALLOW_RETRY_PF and an
 * instruction KVM's emulator does not mark PageTable, unprotect the gfn and
 * retry natively; otherwise emulate the write. The step's instruction bytes,
 * decoded with Capstone, give the instruction (and the emulated write's size);
 * a step without them is taken as a MOV of the access's size. The model's RIP
 * is the step's number plus one (each step is one instruction).
 */
static void write_protect_exit(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
			       u64 addr, u64 ec, const struct mmu_fault_out *out,
			       struct wp_exit *wp)
{
	const u64 rip = (u64)sim->cur + 1;
	unsigned emulation_type = EMULTYPE_PF;
	struct decoded_insn d;
	bool pt_writing = true;
	u8 size = st->u.access.size;

	wp->wp = true;
	wp->gfn = out->gfn;
	if (st->insn_len && !decode_insn(st->insn, st->insn_len, code_bits(&v->cpu.r), 0, &d) &&
	    d.valid) {
		pt_writing = d.pt_writing;
		if (d.write_size && d.write_size <= 8)
			size = d.write_size;
	}
	wp->pt_writing = pt_writing;
	wp->size = size;
	if (mmu_write_protect_fault(&v->mmu, rip, addr, ec, false, &emulation_type) ==
	    RET_PF_FIXED) {
		wp->unprotect = true;
		return;
	}
	if ((emulation_type & EMULTYPE_ALLOW_RETRY_PF) && !pt_writing &&
	    mmu_unprotect_gfn_and_retry(&v->mmu, rip, addr, out->gfn << PAGE_SHIFT))
		wp->unprotect = true;
}

#define HW_MAX_TRIES 8

/*
 * vcpu_enter_guest() for one access of a shadowed guest: the hardware walks
 * KVM's current root; a fault is a VM exit into kvm_mmu_page_fault()
 * (mmu_page_fault()), whose RET_PF_FIXED/SPURIOUS/RETRY re-enter the guest,
 * whose injection (kvm_inject_page_fault()) is the guest's outcome, and whose
 * RET_PF_EMULATE completes the access by emulation: the architectural walk's
 * outcome (@arch). Fills @h; returns 0, a negative error, or 1 when the loop made
 * no progress (@why says what happened).
 */
static int hw_access(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st, u8 as,
		     const struct walk_cfg *arch_cfg, const struct walk_req *req,
		     const struct outcome *arch, const struct tlb_outcome *allowed, size_t nallowed,
		     struct outcome *h, const char **why)
{
	const bool tdp = v->mmu.tdp_enabled;
	struct walk_result res;
	struct walk_cfg cfg, ncfg;
	struct walk_ctx ctx;
	struct hw_tdp_mem tmem;
	gfn_t hints[TLB_MAX_OUTCOMES], gfn;
	enum walk_fault_kind exit_kind;
	u64 exit_addr, exit_ec;
	unsigned nhints = 0;
	u64 pgd;

	for (size_t i = 0; i < nallowed; i++)
		if (allowed[i].fault == WALK_FAULT_NONE)
			hints[nhints++] = allowed[i].gpa >> PAGE_SHIFT;
	memset(h, 0, sizeof(*h));
	memset(&ctx, 0, sizeof(ctx));
	if (tdp) {
		/* Two dimensions: the guest's own tables, then KVM's TDP tables. */
		cfg = *arch_cfg;
		ctx.g = &cfg;
		ctx.n = &ncfg;
		tmem.sim = sim;
		tmem.as = as;
		tmem.gctx = (struct walk_gmem_ctx){.m = sim->mc->mem, .as = as};
		walk_mem_gmem(&tmem.guest, &tmem.gctx);
		ctx.mem.map = hw_tdp_map;
		ctx.mem.ctx = &tmem;
	} else {
		ctx.g = &cfg;
		ctx.mem.map = hw_map;
		ctx.mem.ctx = sim->mc->hmem;
	}
	for (unsigned tries = 0; tries < HW_MAX_TRIES; tries++) {
		struct mmu_fault_out out;
		struct cpu_regs regs;
		struct wp_exit wp;
		int r;

		/* Each re-entry after an exit goes through vcpu_enter_guest() again:
		 * a zapped root is freed and reloaded, requested syncs happen. */
		if (tries && sim_mmu_enter(sim, v, &pgd)) {
			*why = "kvm_mmu_load() failed on re-entry";
			return 1;
		}
		if (tdp ? !hw_tdp_cfg(sim, v, &ncfg) : !hw_cfg(sim, v, arch_cfg, &cfg)) {
			*why = "no valid root to run the guest on";
			return 1;
		}
		walk_translate(&ctx, req, &res);
		if (res.ok) {
			if (!sim_pfn_to_gfn(sim, as, res.gpa >> PAGE_SHIFT, hints, nhints, &gfn)) {
				*why = "the hardware walk ended outside guest memory";
				return 1;
			}
			h->fault = WALK_FAULT_NONE;
			h->gpa = (gfn << PAGE_SHIFT) | (res.gpa & (PAGE_SIZE - 1));
			h->page_size = res.page_size;
			h->hw_readonly = !((tdp ? res.nested_acc : res.acc) & ACC_WRITE);
			return 0;
		}
		if (tdp && res.fault.kind == WALK_FAULT_PF) {
			/* With TDP the guest's own #PF is delivered without an exit. */
			h->fault = WALK_FAULT_PF;
			h->error_code = res.fault.error_code;
			h->cr2 = res.fault.cr2;
			h->rule = res.fault.rule;
			return 0;
		}
		exit_kind = res.fault.kind;
		if (!tdp && exit_kind == WALK_FAULT_PF) {
			/* The #PF VM exit: kvm_mmu_page_fault() with CR2. */
			exit_addr = req->addr;
			exit_ec = res.fault.error_code;
		} else if (tdp &&
			   (exit_kind == WALK_FAULT_EPT_VIOLATION ||
			    exit_kind == WALK_FAULT_EPT_MISCONFIG || exit_kind == WALK_FAULT_NPF)) {
			/* handle_ept_violation() / handle_ept_misconfig() /
			 * npf_interception(): kvm_mmu_page_fault() with the gpa. */
			exit_addr = res.fault.gpa;
			exit_ec = tdp_error_code(&res.fault);
		} else {
			h->fault = res.fault.kind;
			h->rule = res.fault.rule;
			return 0;
		}
		/* The vCPU's CPL is the access's. */
		regs = v->cpu.r;
		regs.cpl = req->cpl;
		r = mmu_page_fault(&v->mmu, &regs, v->cpu.feat, exit_addr, exit_ec, &out);
		if (r < 0)
			return r;
		memset(&wp, 0, sizeof(wp));
		if (!tdp && out.ret == RET_PF_EMULATE && !out.inject && !out.mmio &&
		    (out.write_tracked || out.sptep)) {
			write_protect_exit(sim, v, st, req->addr, exit_ec, &out, &wp);
			if (wp.unprotect) {
				/* kvm_mmu_unprotect_gfn_and_retry(): re-enter the guest. */
				out.ret = RET_PF_FIXED;
			}
		}
		vmexit_event(sim, exit_kind, exit_addr, exit_ec, &out, &wp);
		if (out.reflect) {
			/* Shadow EPT/NPT: the exit goes to L1 (nested VM-exit). */
			h->fault = out.walk.fault.kind;
			h->qual = out.walk.fault.exit_qual;
			h->error_code = out.walk.fault.error_code;
			h->gpa = out.walk.fault.gpa;
			h->rule = arch->fault == h->fault ? arch->rule : "reflected to L1 by KVM";
			return 0;
		}
		if (out.inject) {
			/* kvm_inject_page_fault(): the guest takes the walker's #PF. */
			h->fault = WALK_FAULT_PF;
			h->error_code = out.inject_error_code;
			h->cr2 = out.inject_cr2;
			h->rule = arch->fault == WALK_FAULT_PF ? arch->rule
							       : "#PF injected by KVM's MMU";
			return 0;
		}
		if (out.ret == RET_PF_EMULATE) {
			/* x86_emulate_instruction(): the emulator's walk is the architecture's. */
			*h = *arch;
			h->wp_write_size = wp.wp ? wp.size : 0;
			h->hw_readonly = true;
			return 0;
		}
		if (out.ret != RET_PF_FIXED && out.ret != RET_PF_SPURIOUS &&
		    out.ret != RET_PF_RETRY) {
			*why = "kvm_mmu_page_fault() returned neither a fix, a retry, an injection "
			       "nor emulation";
			return 1;
		}
	}
	*why = "the access still faults in KVM's tables after 8 VM exits";
	return 1;
}

/* "#PF ec 0x7 cr2 0x..." / "gpa 0x..." / "#GP" for a divergence text. */
static int outcome_str(char *buf, size_t n, enum walk_fault_kind k, u64 ec, u64 cr2, u64 gpa,
		       bool has_cr2)
{
	if (k == WALK_FAULT_NONE)
		return snprintf(buf, n, "gpa 0x%llx", (unsigned long long)gpa);
	if (k == WALK_FAULT_PF && has_cr2)
		return snprintf(buf, n, "#PF ec 0x%llx cr2 0x%llx", (unsigned long long)ec,
				(unsigned long long)cr2);
	if (k == WALK_FAULT_PF)
		return snprintf(buf, n, "#PF ec 0x%llx", (unsigned long long)ec);
	return snprintf(buf, n, "%s", walk_fault_name(k));
}

/* The transparency check failed: what the MMU produced, what the architecture allows. */
static void divergence(struct sim *sim, const char *what, const struct outcome *h,
		       const struct tlb_outcome *allowed, size_t n)
{
	char *t = sim->div_text;
	size_t cap = sizeof(sim->div_text), len;
	struct sim_event ev;

	len = (size_t)snprintf(t, cap, "KVM's MMU gave ");
	if (what)
		len += (size_t)snprintf(t + len, cap - len, "no outcome (%s)", what);
	else
		len += (size_t)outcome_str(t + len, cap - len, h->fault, h->error_code, h->cr2,
					   h->gpa, true);
	if (len < cap)
		len += (size_t)snprintf(t + len, cap - len, "; the architecture allows ");
	for (size_t i = 0; i < n && len < cap; i++) {
		len += (size_t)snprintf(t + len, cap - len, "%s%s ", i ? ", " : "",
					allowed[i].from_tlb ? "tlb" : "walk");
		if (len < cap)
			len += (size_t)outcome_str(t + len, cap - len, allowed[i].fault,
						   allowed[i].error_code, 0, allowed[i].gpa, false);
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_DIVERGENCE;
	ev.u.divergence.text = t;
	sim->obs.diverged = true;
	sim->mc->c.divergences++;
	sim_emit(sim, &ev);
}

static int op_access(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct sim_vcpu *v = cur_vcpu(sim);
	struct cpu *c = &v->cpu;
	const u8 as = c->r.smm ? 1 : 0; /* SMM accesses go to address space 1 */
	const u16 vpid = c->vpid, pcid = cpu_pcid(&c->r);
	struct walk_gmem_ctx gctx = {.m = sim->mc->mem, .as = as};
	struct tlb_outcome allowed[TLB_MAX_OUTCOMES];
	const struct tlb_entry *e = NULL;
	struct walk_result res;
	struct walk_ctx wctx;
	struct walk_req req;
	struct walk_cfg cfg;
	struct outcome o;
	struct sim_event ev;
	size_t nallowed;
	u64 perm = 0, value = 0;
	const char *rule = NULL;
	char path[64];

	if (!mem_size_ok(st->u.access.size)) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path, "access size %u is not 1, 2, 4 or 8",
			(unsigned)st->u.access.size);
		return MSC_EINVAL;
	}
	walk_cfg_from_regs(&cfg, &c->r, c->feat);
	memset(&req, 0, sizeof(req));
	req.addr = linear(&cfg, st->u.access.va);
	req.acc = walk_acc_of(st->u.access.kind);
	req.cpl = st->u.access.cpl < 0 ? c->r.cpl : (u8)st->u.access.cpl;
	req.implicit = st->u.access.implicit;
	req.ac = (c->r.rflags & X86_RFLAGS_AC) != 0;
	if ((req.addr & 0xfff) + st->u.access.size > PAGE_SIZE) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path, "access of %u bytes at 0x%llx crosses a page",
			(unsigned)st->u.access.size, (unsigned long long)req.addr);
		return MSC_EINVAL;
	}

	/*
	 * (1) The simulated CPU uses a translation it holds (retain), else it walks.
	 * (2) The reference: the fresh walk's outcome and what the TLB allows. The
	 * real walk is that fresh walk (its A/D writes come after every check and do
	 * not change the outcome); only a TLB hit needs a separate walk without side
	 * effects. A non-canonical address is never cached, so it never hits.
	 */
	memset(&o, 0, sizeof(o));
	memset(&wctx, 0, sizeof(wctx));
	wctx.g = &cfg;
	/* L2 under nested EPT/NPT: the architecture composes L1's tables. */
	wctx.n = sim_nested_stage2(v);
	if (sim->s->machine.tlb == SCN_TLB_RETAIN && cfg.fmt != WALK_FMT_NONE)
		e = tlb_pick(v->tlb, vpid, pcid, &cfg, &req, &perm, &rule);
	if (e) {
		struct walk_gmem_ro_ctx rctx = {.m = gctx.m, .as = gctx.as};

		walk_mem_gmem_ro(&wctx.mem, &rctx);
		walk_translate(&wctx, &req, &res);
		nallowed = tlb_allowed_outcomes(v->tlb, vpid, pcid, &cfg, &req, &res, allowed);
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_TLB_HIT;
		ev.u.tlb.e = e;
		ev.u.tlb.va = req.addr;
		sim->mc->c.tlb_hits++;
		sim_emit(sim, &ev);
		o.from_tlb = true;
		if (perm) {
			o.fault = WALK_FAULT_PF;
			o.error_code = perm;
			o.cr2 = req.addr;
			o.rule = rule;
		} else {
			o.gpa = e->pa + (req.addr & (e->size - 1));
			o.page_size = e->size;
		}
	} else {
		walk_mem_gmem(&wctx.mem, &gctx);
		walk_translate(&wctx, &req, &res);
		nallowed = tlb_allowed_outcomes(v->tlb, vpid, pcid, &cfg, &req, &res, allowed);
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_WALK;
		ev.u.walk.req = &req;
		ev.u.walk.res = &res;
		ev.u.walk.g = &cfg;
		sim->mc->c.walks++;
		sim->mc->c.walk_refs += res.refs;
		sim_emit(sim, &ev);
		o.fault = res.fault.kind;
		o.error_code = res.fault.error_code;
		o.cr2 = res.fault.cr2;
		o.rule = res.fault.rule;
		if (o.fault == WALK_FAULT_EPT_VIOLATION || o.fault == WALK_FAULT_EPT_MISCONFIG ||
		    o.fault == WALK_FAULT_NPF) {
			o.gpa = res.fault.gpa;
			o.qual = res.fault.exit_qual;
		}
		if (res.ok) {
			o.gpa = res.gpa;
			o.page_size = res.page_size;
			/* Paging off: no translation to cache. */
			if (cfg.fmt != WALK_FMT_NONE) {
				tlb_insert(v->tlb, vpid, pcid, req.addr, &res);
				e = tlb_find(v->tlb, vpid, pcid, req.addr, &res);
				if (e) {
					memset(&ev, 0, sizeof(ev));
					ev.kind = SIM_EV_TLB_FILL;
					ev.u.tlb.e = e;
					ev.u.tlb.va = req.addr;
					sim->mc->c.tlb_fills++;
					sim_emit(sim, &ev);
				}
			}
		}
	}
	if (!outcome_allowed(&o, allowed, nallowed)) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_DIVERGENCE;
		ev.u.divergence.text =
			"the simulated CPU's outcome is not one the architecture allows";
		sim->obs.diverged = true;
		sim->mc->c.divergences++;
		sim_emit(sim, &ev);
	}

	/*
	 * (2b) The simulated hardware runs the access through KVM's tables (a TLB
	 * hit never walks them): the shadow tables, or with TDP the guest's tables
	 * and then KVM's EPT/NPT tables; the transparency check holds its outcome
	 * against the architecture's.
	 */
	if (!o.from_tlb && v->has_mmu && o.fault != WALK_FAULT_GP) {
		const char *why = NULL;
		struct outcome h;
		int r = hw_access(sim, v, st, as, &cfg, &req, &o, allowed, nallowed, &h, &why);

		if (r < 0) {
			step_path(sim, path, sizeof(path));
			sim_err(sim, err, st->pos, path, "kvm_mmu_page_fault(): %s",
				msc_strerror(r));
			return r;
		}
		if (r) {
			divergence(sim, why, &h, allowed, nallowed);
		} else {
			bool ok = outcome_allowed(&h, allowed, nallowed) &&
				  (h.fault != WALK_FAULT_PF || h.cr2 == req.addr);

			/* A VM exit for L1: the fresh walk's gpa, qualification, EXITINFO1. */
			if (ok && h.fault > WALK_FAULT_GP)
				ok = h.gpa == res.fault.gpa &&
				     (h.fault != WALK_FAULT_EPT_VIOLATION ||
				      h.qual == res.fault.exit_qual) &&
				     (h.fault != WALK_FAULT_NPF ||
				      h.error_code == res.fault.error_code);

			if (!ok)
				divergence(sim, NULL, &h, allowed, nallowed);
			o.wp_write_size = h.wp_write_size;
			/* The CPU caches what its walk of KVM's tables allowed: with a
			 * read-only SPTE (or none), a write must not complete through the
			 * guest-walk translation without KVM seeing it. */
			if (h.hw_readonly && h.fault == WALK_FAULT_NONE)
				tlb_clear_dirty(v->tlb, vpid, pcid, req.addr);
			if (h.fault != o.fault || h.gpa != o.gpa || h.error_code != o.error_code ||
			    h.qual != o.qual) {
				/* The guest sees what KVM gave it. */
				o.fault = h.fault;
				o.qual = h.qual;
				o.error_code = h.error_code;
				o.cr2 = h.cr2;
				o.gpa = h.gpa;
				o.rule = h.rule;
				if (h.fault == WALK_FAULT_NONE && !o.page_size)
					o.page_size = h.page_size;
			}
		}
	}

	/* (3) #PF delivery loads CR2 (SDM 6.15, interrupt 14) and invalidates the
	 * faulting address's TLB entries for the current PCID (SDM 4.10.4.1). */
	if (o.fault == WALK_FAULT_PF) {
		size_t before = tlb_count(v->tlb);

		c->r.cr2 = o.cr2;
		tlb_invlpg(v->tlb, vpid, pcid, o.cr2);
		sim_emit_flush(sim, "pf", o.cr2, pcid, before - tlb_count(v->tlb));
		sim->mc->c.faults_pf++;
	} else if (o.fault == WALK_FAULT_GP) {
		sim->mc->c.faults_gp++;
	} else if (o.fault == WALK_FAULT_EPT_VIOLATION || o.fault == WALK_FAULT_EPT_MISCONFIG) {
		sim->mc->c.faults_ept++;
	} else if (o.fault == WALK_FAULT_NPF) {
		sim->mc->c.faults_npf++;
	}

	/* (4) The data. */
	if (o.fault == WALK_FAULT_NONE) {
		const char *note = access_data(sim, st, as, o.gpa, o.wp_write_size, &value);

		if (note)
			o.rule = note;
	}

	/* (5) The outcome. */
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_ACCESS;
	ev.u.access.va = req.addr;
	ev.u.access.kind = st->u.access.kind;
	ev.u.access.cpl = req.cpl;
	ev.u.access.implicit = req.implicit;
	ev.u.access.fault = fault_of(o.fault);
	ev.u.access.error_code = o.error_code;
	ev.u.access.cr2 = o.fault == WALK_FAULT_PF ? o.cr2 : 0;
	ev.u.access.gpa = o.gpa;
	ev.u.access.qual = o.qual;
	ev.u.access.value = value;
	ev.u.access.page_size = o.page_size;
	ev.u.access.size = st->u.access.size;
	ev.u.access.from_tlb = o.from_tlb;
	ev.u.access.outcomes = (u32)nallowed;
	ev.u.access.rule = o.rule;
	sim->mc->c.accesses++;
	sim_emit(sim, &ev);

	sim->obs.fault = ev.u.access.fault;
	sim->obs.rule = o.rule;
	sim->obs.tlb_hit = o.from_tlb;
	sim->obs.outcomes = (u32)nallowed;
	if (o.fault == WALK_FAULT_PF) {
		sim->obs.error_code = o.error_code;
		sim->obs.has_error_code = true;
		sim->obs.cr2 = o.cr2;
	} else if (o.fault > WALK_FAULT_GP) {
		/* A VM exit to L1: qual (EPT violation) or EXITINFO1 (#NPF), and the gpa. */
		sim->obs.gpa = o.gpa;
		sim->obs.has_gpa = true;
		sim->obs.qual = o.qual;
		sim->obs.has_qual = o.fault == WALK_FAULT_EPT_VIOLATION;
		sim->obs.error_code = o.error_code;
		sim->obs.has_error_code = o.fault == WALK_FAULT_NPF;
	} else if (o.fault == WALK_FAULT_NONE) {
		sim->obs.gpa = o.gpa;
		sim->obs.has_gpa = true;
		sim->obs.page_size = o.page_size;
		sim->obs.has_page_size = true;
		if (st->u.access.kind != SCN_ACC_FETCH) {
			sim->obs.value = value;
			sim->obs.has_value = true;
		}
	}
	return 0;
}

/* ---- invlpg, invpcid, flush_tlb ---- */

static int op_invlpg(struct sim *sim, const struct scn_step *st)
{
	struct sim_vcpu *v = cur_vcpu(sim);
	const u16 pcid = cpu_pcid(&v->cpu.r);
	size_t before = tlb_count(v->tlb);
	struct walk_cfg cfg;
	bool ok;
	u64 va;

	walk_cfg_from_regs(&cfg, &v->cpu.r, v->cpu.feat);
	va = linear(&cfg, st->u.inv.va);
	/* INVLPG of a non-canonical address is a no-op (SDM Vol. 2 INVLPG). */
	ok = !ia32e(&cfg) || canonical(va, cfg.fmt == WALK_FMT_5LVL ? 57 : 48);
	if (ok)
		tlb_invlpg(v->tlb, v->cpu.vpid, pcid, va);
	sim_emit_flush(sim, "invlpg", va, pcid, before - tlb_count(v->tlb));
	sim_mmu_invalidate(v, SCN_OP_INVLPG, 0, va, pcid, ok);
	return 0;
}

/* INVPCID's checks, in the SDM's order (SDM Vol. 2 INVPCID, "Exceptions"). */
static const char *invpcid_fault(const struct cpu *c, const struct scn_step *st, u8 *vector)
{
	*vector = X86_VEC_UD;
	if (!c->feat->invpcid)
		return "INVPCID without CPUID.(EAX=07H,ECX=0):EBX.INVPCID raises #UD (SDM Vol. 2 "
		       "INVPCID)";
	*vector = X86_VEC_GP;
	if (c->r.cpl)
		return "INVPCID at CPL > 0 raises #GP(0) (SDM Vol. 2 INVPCID)";
	if (st->u.inv.type > 3)
		return "INVPCID type > 3 raises #GP(0) (SDM Vol. 2 INVPCID)";
	if (st->u.inv.pcid > 0xfff)
		return "INVPCID descriptor bits 63:12 not 0 raise #GP(0) (SDM Vol. 2 INVPCID)";
	if (!(c->r.cr4 & X86_CR4_PCIDE) && st->u.inv.type <= 1 && st->u.inv.pcid)
		return "INVPCID type 0/1 with a PCID other than 0 while CR4.PCIDE=0 raises #GP(0) "
		       "(SDM Vol. 2 INVPCID)";
	/* Canonical for the current linear-address width, as KVM's kvm_handle_invpcid(). */
	if (st->u.inv.type == 0 && !canonical(st->u.inv.va, (c->r.cr4 & X86_CR4_LA57) ? 57 : 48))
		return "INVPCID type 0 with a non-canonical address raises #GP(0) (SDM Vol. 2 "
		       "INVPCID)";
	*vector = 0;
	return NULL;
}

static const char *const invpcid_what[] = {"invpcid.addr", "invpcid.single", "invpcid.all_global",
					   "invpcid.all"};

static int op_invpcid(struct sim *sim, const struct scn_step *st)
{
	struct sim_vcpu *v = cur_vcpu(sim);
	size_t before = tlb_count(v->tlb);
	struct sim_event ev;
	u8 vector;
	const char *why = invpcid_fault(&v->cpu, st, &vector);

	if (why) {
		sim->obs.fault = vector == X86_VEC_UD ? SCN_FAULT_UD : SCN_FAULT_GP;
		sim->obs.rule = why;
		if (vector == X86_VEC_GP)
			sim->mc->c.faults_gp++;
		memset(&ev, 0, sizeof(ev));
		ev.kind = SIM_EV_TLB_FLUSH;
		ev.u.flush.what = st->u.inv.type <= 3 ? invpcid_what[st->u.inv.type] : "invpcid";
		ev.u.flush.va = st->u.inv.va;
		ev.u.flush.pcid = st->u.inv.pcid;
		ev.u.flush.vector = vector;
		ev.u.flush.rule = why;
		sim_emit(sim, &ev);
		return 0;
	}
	tlb_invpcid(v->tlb, v->cpu.vpid, (enum tlb_invpcid_type)st->u.inv.type, st->u.inv.pcid,
		    st->u.inv.va);
	sim_emit_flush(sim, invpcid_what[st->u.inv.type], st->u.inv.va, st->u.inv.pcid,
		       before - tlb_count(v->tlb));
	sim_mmu_invalidate(v, SCN_OP_INVPCID, st->u.inv.type, st->u.inv.va, st->u.inv.pcid, true);
	return 0;
}

static int op_flush_tlb(struct sim *sim)
{
	struct sim_vcpu *v = cur_vcpu(sim);
	size_t before = tlb_count(v->tlb);

	tlb_flush_vpid(v->tlb, v->cpu.vpid, true);
	sim_emit_flush(sim, "flush", 0, 0, before - tlb_count(v->tlb));
	sim_mmu_invalidate(v, SCN_OP_FLUSH_TLB, 0, 0, 0, true);
	return 0;
}

/* ---- memslots ---- */

/*
 * Memslot changes alter what backs guest-physical addresses; they do not touch
 * the architectural TLB (KVM zaps its own shadow/TDP tables: sim/engine_mmu.c).
 */
static int op_memslot(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	const struct scn_memslot *sl = &st->u.slot;
	struct sim_event ev;
	const char *what;
	char path[64];
	int r;

	if (st->op == SCN_OP_MEMSLOT_ADD) {
		struct gmem_slot_desc d = sim_slot_desc(sl);

		what = "add";
		r = gmem_slot_add(sim->mc->mem, &d);
	} else if (st->op == SCN_OP_MEMSLOT_DELETE) {
		what = "delete";
		r = gmem_slot_delete(sim->mc->mem, sl->as, sl->id);
	} else {
		what = "flags";
		r = gmem_slot_set_flags(sim->mc->mem, sl->as, sl->id, sl->flags);
	}
	if (r) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path, "memslot_%s as %u id %u: %s", what,
			(unsigned)sl->as, (unsigned)sl->id, msc_strerror(r));
		return r == MSC_ENOMEM ? r : MSC_EINVAL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_MEMSLOT;
	ev.u.memslot.what = what;
	ev.u.memslot.slot = sl;
	sim_emit(sim, &ev);
	/* kvm_arch_flush_shadow_memslot() / kvm_arch_commit_memory_region(). */
	sim_mmu_memslot_changed(sim, st->op);
	return 0;
}

int sim_run_op(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	int r;

	if (st->insn_len) {
		r = emit_insn(sim, st, err);
		if (r)
			return r;
	}
	switch (st->op) {
	case SCN_OP_SET:
		return op_set(sim, st);
	case SCN_OP_MAP:
	case SCN_OP_UNMAP:
	case SCN_OP_SET_ENTRY:
		return op_pt(sim, st, err);
	case SCN_OP_MEM_WRITE:
	case SCN_OP_MEM_READ:
		return op_mem(sim, st, err);
	case SCN_OP_ACCESS:
		/* vcpu_enter_guest(): requests and kvm_mmu_reload() before entering. */
		r = sim_mmu_reload(sim, st, err);
		if (r)
			return r;
		return op_access(sim, st, err);
	case SCN_OP_INVLPG:
		return op_invlpg(sim, st);
	case SCN_OP_INVPCID:
		return op_invpcid(sim, st);
	case SCN_OP_FLUSH_TLB:
		return op_flush_tlb(sim);
	case SCN_OP_MEMSLOT_ADD:
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
		return op_memslot(sim, st, err);
	case SCN_OP_EXPECT:
		return 0;
	case SCN_OP_ZAP_ALL:
		sim_mmu_zap_all_fast(sim);
		return 0;
	case SCN_OP_PRE_FAULT:
		return sim_pre_fault(sim, st, err);
	case SCN_OP_SMI:
	case SCN_OP_RSM:
		return sim_run_smm(sim, st, err);
	case SCN_OP_VMENTRY:
	case SCN_OP_VMEXIT:
		return sim_run_nested(sim, st, err);
	}
	return MSC_EOPNOTSUPP;
}
