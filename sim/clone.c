/* SPDX-License-Identifier: MIT */
/*
 * sim_clone(): a deep, independent copy of a sim between steps. The machine is
 * copied part by part -- guest memory (resident pages only), host table pages,
 * TLBs, the VM's and every vCPU's MMU -- and every pointer between the parts
 * is pointed into the copy. The scenario is shared (read-only); sinks are not
 * copied.
 */
#include "sim/view.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/clone.h"
#include "sim/engine_priv.h"

/* Free a copy under construction: the parts built so far (NULL ones are skipped,
 * has_vm/has_mmu are set only once those parts are complete). */
static void clone_free(struct sim *sim)
{
	struct sim_machine *mc = sim->mc;

	if (mc) {
		sim_mmu_destroy(mc);
		for (unsigned i = 0; i < SCN_MAX_VCPUS; i++)
			tlb_destroy(mc->vcpu[i].tlb);
		gmem_destroy(mc->mem);
		free(mc);
	}
	free(sim);
}

static int clone_machine(const struct sim_machine *o, struct sim *sim, u64 *bytes)
{
	struct sim_machine *mc = calloc(1, sizeof(*mc));
	u64 b = 0;
	int r;

	if (!mc)
		return MSC_ENOMEM;
	sim->mc = mc;
	*bytes += sizeof(*mc);
	/* Plain data first; every pointer is replaced below (or cleared until its
	 * part exists, so clone_free() never touches the original's). */
	*mc = *o;
	mc->mem = NULL;
	mc->hmem = NULL;
	mc->has_vm = false;
	memset(&mc->vm, 0, sizeof(mc->vm));
	for (unsigned i = 0; i < SCN_MAX_VCPUS; i++) {
		mc->vcpu[i].tlb = NULL;
		mc->vcpu[i].has_mmu = false;
		memset(&mc->vcpu[i].mmu, 0, sizeof(mc->vcpu[i].mmu));
	}
	r = gmem_clone(&mc->mem, o->mem, o->has_vm ? &mc->vm : NULL, &b);
	if (r)
		return r;
	*bytes += b;
	mc->pool.m = mc->mem;
	if (o->hmem) {
		r = hmem_clone(&mc->hmem, o->hmem, &b);
		if (r)
			return r;
		*bytes += b;
	}
	for (unsigned i = 0; i < SCN_MAX_VCPUS; i++) {
		struct sim_vcpu *v = &mc->vcpu[i];

		if (o->vcpu[i].tlb) {
			r = tlb_clone(&v->tlb, o->vcpu[i].tlb, &b);
			if (r)
				return r;
			*bytes += b;
		}
		v->cpu.feat = &mc->feat;
		v->cpu.mem = mc->mem;
		v->cpu.tlb = v->tlb;
	}
	if (o->has_vm) {
		r = mmu_vm_clone(&mc->vm, &o->vm, mc->hmem, mc->mem, &b);
		if (r)
			return r;
		*bytes += b;
		mc->has_vm = true;
		/* engine_mmu.c's callbacks take the sim (sim_gfn_to_pfn, mmu_sink,
		 * sim_sync_page) */
		mc->vm.ctx = o->vm.ctx ? sim : NULL;
		mc->vm.sink_ctx = o->vm.sink_ctx ? sim : NULL;
	}
	for (unsigned i = 0; i < SCN_MAX_VCPUS; i++) {
		const struct sim_vcpu *ov = &o->vcpu[i];
		struct sim_vcpu *v = &mc->vcpu[i];

		if (!ov->has_mmu)
			continue;
		mmu_vcpu_clone(&v->mmu, &ov->mmu, &mc->vm);
		if (ov->mmu.pdptr_regs == ov->cpu.r.pdpte)
			v->mmu.pdptr_regs = v->cpu.r.pdpte;
		v->has_mmu = true;
	}
	return 0;
}

int sim_clone_sized(const struct sim *src, struct sim **out, u64 *bytes)
{
	struct sim *sim;
	u64 b = 0;
	int r;

	if (!src || !out)
		return MSC_EINVAL;
	*out = NULL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return MSC_ENOMEM;
	b += sizeof(*sim);
	sim->s = src->s;
	sim->muted = src->muted;
	sim->audit = src->audit;
	sim->cur = src->cur;
	sim->cur_vcpu = src->cur_vcpu;
	sim->pool_missing = src->pool_missing;
	sim->memslot_steps = src->memslot_steps;
	memcpy(sim->div_text, src->div_text, sizeof(sim->div_text));
	sim->obs = src->obs;
	r = clone_machine(src->mc, sim, &b);
	if (r) {
		clone_free(sim);
		return r;
	}
	if (bytes)
		*bytes = b;
	*out = sim;
	return 0;
}

int sim_clone(const struct sim *src, struct sim **out)
{
	return sim_clone_sized(src, out, NULL);
}
