/* SPDX-License-Identifier: MIT */
/*
 * The engine's frame: building the machine of a scenario, the step loop, event
 * delivery, seeking by deterministic replay, and snapshots. The ops live in
 * sim/engine_ops.c, the expectations in sim/engine_expect.c.
 */
#include "sim/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/engine_priv.h"

void sim_err(const struct sim *sim, struct scn_error *err, struct scn_pos pos, const char *path,
	     const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	if (sim && sim->s && sim->s->file)
		snprintf(err->file, sizeof(err->file), "%s", sim->s->file);
	err->line = pos.line;
	err->col = pos.col;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

struct cpu_wr sim_write_reg(struct cpu *c, enum scn_reg reg, u64 val)
{
	static const struct cpu_wr bad_cpl = {X86_VEC_GP, "CPL must be 0..3 (SDM Vol. 3 5.5)"};
	static const struct cpu_wr bad_pkru = {
		X86_VEC_GP, "WRPKRU with ECX or EDX not 0 raises #GP (SDM Vol. 2 WRPKRU)"};

	switch (reg) {
	case SCN_REG_CR0:
		return cpu_write_cr0(c, val);
	case SCN_REG_CR3:
		return cpu_write_cr3(c, val);
	case SCN_REG_CR4:
		return cpu_write_cr4(c, val);
	case SCN_REG_EFER:
		return cpu_write_efer(c, val);
	case SCN_REG_RFLAGS:
		return cpu_write_rflags(c, val);
	case SCN_REG_CPL:
		return val > 3 ? bad_cpl : cpu_write_cpl(c, (u8)val);
	case SCN_REG_PKRU:
		/* The scenario's value is EDX:EAX; the high half must be 0. */
		return val >> 32 ? bad_pkru : cpu_write_pkru(c, (u32)val);
	case SCN_REG_CS_L:
		/* Models the far jump/return that loads CS: CS.L takes effect only with
		 * EFER.LMA=1 (64-bit mode, SDM Vol. 3 3.4.5); it is never refused. */
		c->r.cs_l = val != 0;
		return (struct cpu_wr){0, NULL};
	}
	return bad_cpl;
}

struct gmem_slot_desc sim_slot_desc(const struct scn_memslot *sl)
{
	struct gmem_slot_desc d = {
		.as = sl->as,
		.id = sl->id,
		.base = sl->gpa,
		.size = sl->size,
		.flags = sl->flags,
		.alias = sl->alias,
		.alias_as = sl->alias_as,
		.alias_id = sl->alias_id,
		.alias_offset = sl->alias_offset,
	};
	return d;
}

u64 sim_read_reg(const struct cpu_regs *r, enum scn_reg reg)
{
	switch (reg) {
	case SCN_REG_CR0:
		return r->cr0;
	case SCN_REG_CR3:
		return r->cr3;
	case SCN_REG_CR4:
		return r->cr4;
	case SCN_REG_EFER:
		return r->efer;
	case SCN_REG_RFLAGS:
		return r->rflags;
	case SCN_REG_CPL:
		return r->cpl;
	case SCN_REG_PKRU:
		return r->pkru;
	case SCN_REG_CS_L:
		return r->cs_l;
	}
	return 0;
}

static void machine_destroy(struct sim_machine *mc)
{
	if (!mc)
		return;
	sim_mmu_destroy(mc); /* vCPUs' MMUs, then the VM's (KVM's order) */
	for (unsigned i = 0; i < SCN_MAX_VCPUS; i++)
		tlb_destroy(mc->vcpu[i].tlb);
	gmem_destroy(mc->mem);
	free(mc);
}

static const char *vector_name(u8 v)
{
	return v == X86_VEC_UD ? "#UD" : "#GP";
}

/*
 * The machine of @s at step 0. Positioned errors: features, memslots, the
 * vCPUs' initial registers; MSC_EOPNOTSUPP for machine parts needing models
 * this build lacks.
 */
static int machine_create(struct sim *sim, struct sim_machine **out, struct scn_error *err)
{
	const struct scenario *s = sim->s;
	const struct scn_machine *m = &s->machine;
	struct sim_machine *mc;
	const char *why = NULL;
	char path[64];
	unsigned nv;
	int r;

	*out = NULL;
	if (cpu_features_check(&m->feat, &why)) {
		sim_err(sim, err, m->pos, "/machine/features", "impossible CPU: %s",
			why ? why : "invalid features");
		return MSC_EINVAL;
	}
	if (s->nvcpus > SCN_MAX_VCPUS || m->nslots > MSC_ARRAY_SIZE(m->slots)) {
		sim_err(sim, err, m->pos, "", "too many vCPUs or memslots");
		return MSC_EINVAL;
	}
	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		sim_err(sim, err, m->pos, "", "%s", msc_strerror(MSC_ENOMEM));
		return MSC_ENOMEM;
	}
	mc->feat = m->feat;
	r = gmem_create(&mc->mem, SCN_MAX_TOTAL_BYTES);
	if (r) {
		sim_err(sim, err, m->pos, "/machine", "guest memory: %s", msc_strerror(r));
		goto out;
	}
	for (unsigned i = 0; i < m->nslots; i++) {
		const struct scn_memslot *sl = &m->slots[i];
		struct gmem_slot_desc d = sim_slot_desc(sl);

		r = gmem_slot_add(mc->mem, &d);
		if (r) {
			snprintf(path, sizeof(path), "/machine/memslots/%u", i);
			sim_err(sim, err, sl->pos, path, "memslot rejected: %s", msc_strerror(r));
			r = r == MSC_ENOMEM ? r : MSC_EINVAL;
			goto out;
		}
	}
	if (m->pt_pool.present) {
		mc->has_pool = true;
		mc->pool.m = mc->mem;
		mc->pool.as = m->pt_pool.as;
		mc->pool.next = m->pt_pool.gpa;
		mc->pool.end = m->pt_pool.gpa + m->pt_pool.size;
	}
	nv = s->nvcpus ? s->nvcpus : 1; /* no "vcpus": one vCPU at reset */
	mc->nvcpus = nv;
	for (unsigned i = 0; i < nv; i++) {
		struct sim_vcpu *v = &mc->vcpu[i];

		r = tlb_create(&v->tlb);
		if (r) {
			sim_err(sim, err, m->pos, "/vcpus", "TLB: %s", msc_strerror(r));
			goto out;
		}
		cpu_reset(&v->cpu);
		v->cpu.feat = &mc->feat;
		v->cpu.mem = mc->mem;
		v->cpu.tlb = v->tlb;
		v->cpu.vpid = 0;
		if (i >= s->nvcpus)
			continue;
		for (unsigned k = 0; k < s->vcpus[i].ninit && k < SCN_NR_REGS; k++) {
			const struct scn_regval *rv = &s->vcpus[i].init[k];
			struct cpu_wr w = sim_write_reg(&v->cpu, rv->reg, rv->val);

			if (w.vector) {
				snprintf(path, sizeof(path), "/vcpus/%u/%s", i,
					 scn_reg_name(rv->reg));
				sim_err(sim, err, rv->pos, path, "%s 0x%llx refused with %s: %s",
					scn_reg_name(rv->reg), (unsigned long long)rv->val,
					vector_name(w.vector), w.rule ? w.rule : "");
				r = MSC_EINVAL;
				goto out;
			}
		}
	}
	/* The KVM MMU after the initial registers (kvm_vcpu_reset -> kvm_init_mmu). */
	r = sim_mmu_create(sim, mc, err);
	if (r) {
		r = r == MSC_ENOMEM ? r : MSC_EINVAL;
		goto out;
	}
	*out = mc;
	return 0;
out:
	machine_destroy(mc);
	return r;
}

int sim_create(struct sim **out, const struct scenario *s, struct scn_error *err)
{
	struct sim *sim;
	int r;

	if (!out || !s) {
		if (err)
			memset(err, 0, sizeof(*err));
		return MSC_EINVAL;
	}
	*out = NULL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return MSC_ENOMEM;
	sim->s = s;
	for (unsigned i = 0; i < s->nsteps; i++)
		sim->memslot_steps |= s->steps[i].op == SCN_OP_MEMSLOT_ADD;
	r = machine_create(sim, &sim->mc, err);
	if (r) {
		free(sim);
		return r;
	}
	*out = sim;
	return 0;
}

void sim_destroy(struct sim *sim)
{
	if (!sim)
		return;
	machine_destroy(sim->mc);
	free(sim->trace);
	free(sim->scratch);
	free(sim);
}

int sim_add_sink(struct sim *sim, sim_sink_fn fn, void *ctx)
{
	if (!sim || !fn)
		return MSC_EINVAL;
	if (sim->nsinks >= SIM_MAX_SINKS)
		return MSC_ENOSPC;
	sim->sinks[sim->nsinks].fn = fn;
	sim->sinks[sim->nsinks].ctx = ctx;
	sim->nsinks++;
	return 0;
}

/* Grow *buf to hold @need bytes; false when out of memory. */
static bool reserve(char **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 1024;
	char *nb;

	if (need <= *cap)
		return true;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (!nb)
		return false;
	*buf = nb;
	*cap = ncap;
	return true;
}

/* Append the event's trace lines to this step's trace (for expect.trace). */
static void collect(struct sim *sim, const struct sim_event *ev)
{
	int len = sim_event_format(ev, NULL, 0);

	if (len <= 0 || !reserve(&sim->scratch, &sim->scratch_cap, (size_t)len + 1))
		return;
	sim_event_format(ev, sim->scratch, (size_t)len + 1);
	if (!reserve(&sim->trace, &sim->trace_cap, sim->trace_len + (size_t)len + 2))
		return;
	memcpy(sim->trace + sim->trace_len, sim->scratch, (size_t)len);
	sim->trace_len += (size_t)len;
	sim->trace[sim->trace_len++] = '\n';
	sim->trace[sim->trace_len] = '\0';
}

void sim_emit(struct sim *sim, struct sim_event *ev)
{
	ev->step = sim->cur;
	ev->vcpu = sim->cur_vcpu;
	if (sim->collect)
		collect(sim, ev);
	if (sim->muted)
		return;
	for (unsigned i = 0; i < sim->nsinks; i++)
		sim->sinks[i].fn(sim->sinks[i].ctx, ev);
}

/* Which model an op this build cannot run needs; NULL when it runs. */
static const char *missing_model(enum scn_op op)
{
	switch (op) {
	case SCN_OP_VMENTRY:
	case SCN_OP_VMEXIT:
	case SCN_OP_SET:
	case SCN_OP_MAP:
	case SCN_OP_UNMAP:
	case SCN_OP_SET_ENTRY:
	case SCN_OP_MEM_WRITE:
	case SCN_OP_MEM_READ:
	case SCN_OP_ACCESS:
	case SCN_OP_INVLPG:
	case SCN_OP_INVPCID:
	case SCN_OP_FLUSH_TLB:
	case SCN_OP_MEMSLOT_ADD:
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
	case SCN_OP_EXPECT:
	case SCN_OP_ZAP_ALL:
	case SCN_OP_PRE_FAULT:
	case SCN_OP_SMI:
	case SCN_OP_RSM:
		break;
	}
	return NULL;
}

/* Expect keys that need parts of the KVM MMU model not built yet, in the order
 * they are reported. */
static const struct {
	u64 bit;
	const char *key;
} mmu_keys[] = {
	{SCN_EX_SPTE, "spte"},
};

/* Refuse a step this build cannot run, before any of it runs. */
static int check_runnable(struct sim *sim, const struct scn_step *st, u32 idx,
			  struct scn_error *err)
{
	const char *model = missing_model(st->op);
	struct scn_pos pos;
	char path[96];

	if ((unsigned)st->op >= SCN_NR_OPS) {
		snprintf(path, sizeof(path), "/steps/%u/op", (unsigned)idx);
		sim_err(sim, err, st->pos, path, "unknown op %d", (int)st->op);
		return MSC_EINVAL;
	}
	if (model) {
		snprintf(path, sizeof(path), "/steps/%u/op", (unsigned)idx);
		sim_err(sim, err, st->pos, path, "%s needs %s, not built yet", scn_op_name(st->op),
			model);
		return MSC_EOPNOTSUPP;
	}
	for (size_t i = 0; i < MSC_ARRAY_SIZE(mmu_keys); i++) {
		if (!(st->expect.has & mmu_keys[i].bit))
			continue;
		pos = st->expect.pos.line ? st->expect.pos : st->pos;
		snprintf(path, sizeof(path), "/steps/%u/expect/%s", (unsigned)idx, mmu_keys[i].key);
		sim_err(sim, err, pos, path, "expect.%s needs the KVM MMU model, not built yet",
			mmu_keys[i].key);
		return MSC_EOPNOTSUPP;
	}
	if (st->vcpu >= sim->mc->nvcpus) {
		snprintf(path, sizeof(path), "/steps/%u/vcpu", (unsigned)idx);
		sim_err(sim, err, st->pos, path, "vcpu %u does not exist (the machine has %u)",
			(unsigned)st->vcpu, sim->mc->nvcpus);
		return MSC_EINVAL;
	}
	return 0;
}

int sim_step(struct sim *sim, struct scn_error *err)
{
	const struct scn_step *st;
	struct sim_event ev;
	u32 idx;
	int r;

	if (!sim)
		return MSC_EINVAL;
	idx = sim->mc->done;
	if (idx >= sim->s->nsteps)
		return 1;
	st = &sim->s->steps[idx];
	r = check_runnable(sim, st, idx, err);
	if (r)
		return r;
	sim->cur = idx;
	sim->cur_vcpu = st->vcpu;
	sim->collect = (st->expect.has & SCN_EX_TRACE) != 0;
	sim->trace_len = 0;
	if (sim->trace)
		sim->trace[0] = '\0';
	memset(&sim->obs, 0, sizeof(sim->obs));
	sim->obs.fault = SCN_FAULT_NONE;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_STEP;
	ev.u.step.op = st->op;
	ev.u.step.st = st;
	sim_emit(sim, &ev);
	r = sim_run_op(sim, st, err);
	sim->collect = false;
	if (r)
		return r;
	sim_check_expect(sim, st);
	if (sim->audit)
		sim_mmu_audit_step(sim);
	sim->mc->done++;
	return 0;
}

int sim_run(struct sim *sim, u32 until, struct scn_error *err)
{
	int r;

	if (!sim)
		return MSC_EINVAL;
	while (sim->mc->done < until) {
		r = sim_step(sim, err);
		if (r)
			return r;
	}
	return 0;
}

u32 sim_steps_done(const struct sim *sim)
{
	return sim->mc->done;
}

void sim_set_audit(struct sim *sim, bool on)
{
	sim->audit = on;
}

u32 sim_audit_violations(const struct sim *sim)
{
	return sim->mc->audit_violations;
}

u32 sim_failures(const struct sim *sim)
{
	return sim->mc->failures;
}

void sim_snapshot(const struct sim *sim, struct sim_snapshot *out)
{
	const struct sim_machine *mc = sim->mc;

	memset(out, 0, sizeof(*out));
	out->step = mc->done;
	out->failures = mc->failures;
	out->nvcpus = (u16)mc->nvcpus;
	for (unsigned i = 0; i < mc->nvcpus; i++) {
		out->vcpu[i].r = mc->vcpu[i].cpu.r;
		out->vcpu[i].tlb_entries = tlb_count(mc->vcpu[i].tlb);
	}
	out->counters = mc->c;
}

const struct gmem *sim_gmem(const struct sim *sim)
{
	return sim->mc->mem;
}

const struct tlb *sim_tlb(const struct sim *sim, u16 vcpu)
{
	return vcpu < sim->mc->nvcpus ? sim->mc->vcpu[vcpu].tlb : NULL;
}

const struct cpu_features *sim_features(const struct sim *sim)
{
	return &sim->mc->feat;
}

int sim_seek(struct sim *sim, u32 n, struct scn_error *err)
{
	bool was_muted;
	int r;

	if (!sim)
		return MSC_EINVAL;
	/* Backwards: a fresh machine at step 0 (forwards, the current one is the
	 * same state a fresh replay would reach, since every step is deterministic). */
	if (n < sim->mc->done) {
		struct sim_machine *mc;

		r = machine_create(sim, &mc, err);
		if (r)
			return r;
		machine_destroy(sim->mc);
		sim->mc = mc;
	}
	was_muted = sim->muted;
	sim->muted = true;
	r = sim_run(sim, n, err);
	sim->muted = was_muted;
	return r;
}
