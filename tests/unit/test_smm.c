/* SPDX-License-Identifier: MIT */
/*
 * The smi and rsm ops (sim/engine_smm.c): KVM's enter_smm() and
 * emulator_leave_smm() -- the entry state, the state save area, RSM's restore,
 * #UD outside SMM, the context resets on the way and the role.smm roots.
 */
#include "sim/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/page.h"
#include "sim/engine_priv.h"
#include "sim/loader.h"

/* QEMU's layout: AS 1 aliases RAM and adds SMRAM at 0xa0000 (as teaching/15). */
#define MACHINE(extra)                                                                            \
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": ["                         \
	"{\"as\": 0, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0xa0000\"},"                        \
	"{\"as\": 0, \"id\": 1, \"gpa\": \"0xc0000\", \"size\": \"0x340000\"},"                   \
	"{\"as\": 1, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0xa0000\", \"alias\": {\"as\": 0, " \
	"\"id\": 0, \"offset\": \"0x0\"}},"                                                       \
	"{\"as\": 1, \"id\": 1, \"gpa\": \"0xa0000\", \"size\": \"0x20000\"},"                    \
	"{\"as\": 1, \"id\": 2, \"gpa\": \"0xc0000\", \"size\": \"0x340000\", \"alias\": "        \
	"{\"as\": "                                                                               \
	"0, \"id\": 1, \"offset\": \"0x0\"}}],"                                                   \
	"\"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", \"size\": \"0x20000\"}" extra "},"

/* A 64-bit paging guest (PCID on, CR3 PCID 5), then @steps. */
#define LONG_GUEST(extra, steps)                                                                 \
	MACHINE(extra)                                                                           \
	"\"steps\": ["                                                                           \
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": \"0x400000\", " \
	"\"pa\": \"0x10000\", \"flags\": \"P|W\"},"                                              \
	"{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": "  \
	"\"0x1000\"},"                                                                           \
	"{\"op\": \"set\", \"cr0\": \"PE|PG|WP\", \"cs_l\": 1, \"cpl\": 3},"                     \
	"{\"op\": \"set\", \"cr4\": \"PAE|PCIDE|PGE\", \"cr3\": \"0x1005\"},"                    \
	"{\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"read\", \"size\": 8, \"cpl\": "  \
	"0}," steps "]}"

struct run {
	struct scenario s;
	struct sim *sim;
	u32 fails;
};

static void start(struct run *r, const char *json)
{
	struct scn_error err;
	int rc = scn_load_buffer("t.json", json, strlen(json), &r->s, &err);

	if (rc) {
		print_error("load: %u:%u %s: %s\n", err.line, err.col, err.path, err.msg);
		fail();
	}
	assert_int_equal(sim_create(&r->sim, &r->s, &err), 0);
}

/* Run @n steps, each without error. */
static void steps(struct run *r, unsigned n)
{
	struct scn_error err;

	for (unsigned i = 0; i < n; i++) {
		int rc = sim_step(r->sim, &err);

		if (rc) {
			print_error("step: %d %u:%u %s: %s\n", rc, err.line, err.col, err.path,
				    err.msg);
			fail();
		}
	}
}

static void stop(struct run *r)
{
	sim_destroy(r->sim);
	scn_free(&r->s);
}

static struct sim_vcpu *vcpu0(struct run *r)
{
	return &r->sim->mc->vcpu[0];
}

static u64 rd(struct run *r, u8 as, u64 gpa, unsigned size)
{
	u8 b[8] = {0};

	assert_int_equal(gmem_read(r->sim->mc->mem, as, gpa, b, size), 0);
	return msc_le_get(b, size);
}

static u64 resets(struct run *r)
{
	return vcpu0(r)->mmu.root_stats.context_resets;
}

static void test_smi_saves_the_state_and_loads_the_entry_state(void **state)
{
	struct run r;
	struct cpu_regs *c;
	u64 before;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"smi\"}"));
	steps(&r, 5);
	c = &vcpu0(&r)->cpu.r;
	assert_int_equal(c->cr0, 0x80010011);
	before = resets(&r);
	steps(&r, 1);
	/* kvm_smm_changed(true) and the reset at the end of enter_smm(). */
	assert_int_equal(resets(&r) - before, 2);
	assert_true(c->smm);
	assert_int_equal(c->cr0, 0x10010); /* & ~(PE|EM|TS|PG) */
	assert_int_equal(c->cr4, 0);
	assert_int_equal(c->efer, 0);
	assert_int_equal(c->rflags, 2);
	assert_int_equal(c->cpl, 0);
	assert_false(c->cs_l);
	assert_int_equal(c->cr3, 0x1005); /* CR3 is not loaded */
	/* The 64-bit save area at 0x30000 + 0xfe00, through the AS-1 alias of RAM. */
	assert_int_equal(rd(&r, 1, 0x3ff58, 8), 0x80010011); /* CR0 */
	assert_int_equal(rd(&r, 1, 0x3ff50, 8), 0x1005); /* CR3 */
	assert_int_equal(rd(&r, 1, 0x3ff48, 8), 0x200a0); /* CR4 PAE|PGE|PCIDE */
	assert_int_equal(rd(&r, 1, 0x3fed0, 8), 0xd00); /* EFER LME|LMA|NXE */
	assert_int_equal(rd(&r, 1, 0x3ff70, 8), 2); /* RFLAGS */
	assert_int_equal(rd(&r, 1, 0x3ff00, 4), 0x30000); /* SMBASE */
	assert_int_equal(rd(&r, 1, 0x3fefc, 4), 0x00020064); /* revision */
	/* CS attributes (flags >> 8): L (bit 13), DPL 3, P, S, type 0xb. */
	assert_int_equal(rd(&r, 1, 0x3fe12, 2), 0xa0fb);
	assert_int_equal(rd(&r, 0, 0x3ff58, 8), 0x80010011); /* the same RAM in AS 0 */
	/* Context reset #2: paging off, smm=1 -- a nonpaging cpu_role. */
	assert_int_equal(vcpu0(&r)->mmu.mmu->cpu_role.base.smm, 1);
	assert_int_equal(vcpu0(&r)->mmu.mmu->cpu_role.base.direct, 1);
	assert_int_equal(vcpu0(&r)->mmu.mmu->root_role.word, 0x01001783);
	stop(&r);
}

static void test_access_in_smm_uses_the_smm_roots_shadow(void **state)
{
	struct run r;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"smi\"},"
				 "{\"op\": \"access\", \"va\": \"0xa0008\", \"kind\": \"write\", "
				 "\"size\": 8, \"value\": \"0x55\"}"));
	steps(&r, 7);
	assert_int_equal(r.sim->mc->c.divergences, 0);
	assert_int_equal(rd(&r, 1, 0xa0008, 8), 0x55); /* SMRAM, AS 1 only */
	assert_int_equal(sim_mmu_count_sps(r.sim, 0x01001782), 4); /* pae_root[0..3] */
	assert_int_equal(sim_mmu_count_sps(r.sim, 0x01001781), 1); /* the direct PT */
	stop(&r);
}

static void test_access_in_smm_uses_the_smm_roots_ept(void **state)
{
	struct run r;

	(void)state;
	start(&r, LONG_GUEST(", \"tdp\": \"ept\", \"tdp_mmu\": false",
			     "{\"op\": \"smi\"},"
			     "{\"op\": \"access\", \"va\": \"0xa0008\", \"kind\": \"read\", "
			     "\"size\": 8}"));
	steps(&r, 7);
	assert_int_equal(r.sim->mc->c.divergences, 0);
	/* Reference appendix B: the SMM TDP root. */
	assert_int_equal(vcpu0(&r)->mmu.mmu->root_role.word, 0x01003784);
	assert_int_equal(sim_mmu_count_sps(r.sim, 0x01003784), 1);
	assert_int_equal(sim_mmu_count_sps(r.sim, 0x00003784), 1);
	stop(&r);
}

static void test_rsm_restores_through_real_mode(void **state)
{
	struct run r;
	struct cpu_regs *c;
	u64 before;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"smi\"}, {\"op\": \"rsm\"},"
				 "{\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"read\", "
				 "\"size\": 8, \"cpl\": 0}"));
	steps(&r, 6);
	before = resets(&r);
	steps(&r, 1);
	c = &vcpu0(&r)->cpu.r;
	assert_false(c->smm);
	assert_int_equal(c->cr0, 0x80010011);
	assert_int_equal(c->cr3, 0x1005);
	assert_int_equal(c->cr4, 0x200a0);
	assert_int_equal(c->efer, 0xd00);
	assert_true(c->cs_l);
	assert_int_equal(c->cpl, 3);
	/* kvm_smm_changed(false), EFER (LME|NX), CR4 (PAE), CR0 (PG); PCIDE 0->1
	 * then unloads (no reset). */
	assert_int_equal(resets(&r) - before, 4);
	assert_int_equal(vcpu0(&r)->mmu.mmu->root_role.smm, 0);
	steps(&r, 1);
	assert_int_equal(r.sim->mc->c.divergences, 0);
	assert_int_equal(vcpu0(&r)->mmu.mmu->root_role.word, 0x00003704);
	stop(&r);
}

static void test_rsm_outside_smm_is_ud_and_smi_in_smm_an_error(void **state)
{
	struct run r;
	struct scn_error err;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"rsm\", \"expect\": {\"fault\": \"ud\"}},"
				 "{\"op\": \"rsm\"}, {\"op\": \"smi\"}, {\"op\": \"smi\"}"));
	steps(&r, 6);
	assert_int_equal(sim_failures(r.sim), 0);
	assert_false(vcpu0(&r)->cpu.r.smm);
	steps(&r, 1); /* an unexpected #UD: an expectation failure, not an error */
	assert_int_equal(sim_failures(r.sim), 1);
	steps(&r, 1);
	assert_int_equal(sim_step(r.sim, &err), MSC_EINVAL);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.path, "/steps/8");
	assert_non_null(strstr(err.msg, "latched until RSM"));
	stop(&r);
}

/* vmx_enter_smm() would first leave guest mode; the model refuses SMI in L2 by name. */
static void test_smi_in_guest_mode_is_refused(void **state)
{
	struct run r;
	struct scn_error err;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"vmentry\", \"vmx\": {\"vpid\": 1}, \"l2\": "
				 "{\"cr0\": \"PE\"}}, {\"op\": \"smi\"}"));
	steps(&r, 6);
	assert_true(vcpu0(&r)->cpu.r.guest_mode);
	assert_int_equal(sim_step(r.sim, &err), MSC_EOPNOTSUPP);
	assert_string_equal(err.path, "/steps/6");
	assert_non_null(strstr(err.msg, "SMI in guest mode"));
	assert_false(vcpu0(&r)->cpu.r.smm);
	stop(&r);
}

static void test_smbase_relocation_moves_the_save_area(void **state)
{
	struct run r;

	(void)state;
	start(&r, LONG_GUEST("", "{\"op\": \"smi\"},"
				 "{\"op\": \"mem_write\", \"as\": 1, \"gpa\": \"0x3ff00\", "
				 "\"value\": \"0xa0000\", \"size\": 4},"
				 "{\"op\": \"rsm\"}, {\"op\": \"smi\"}"));
	steps(&r, 9);
	assert_int_equal(vcpu0(&r)->smbase, 0xa0000);
	assert_int_equal(rd(&r, 1, 0xaff58, 8), 0x80010011);
	assert_int_equal(rd(&r, 1, 0xaff00, 4), 0xa0000);
	stop(&r);
}

static void test_smi_without_smram_behind_the_save_area_is_an_error(void **state)
{
	struct run r;
	struct scn_error err;
	static const char json[] =
		"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": [{\"gpa\": \"0x0\", "
		"\"size\": \"0x100000\"}]}, \"steps\": [{\"op\": \"smi\"}]}";

	(void)state;
	start(&r, json);
	assert_int_equal(sim_step(r.sim, &err), MSC_EINVAL);
	assert_non_null(strstr(err.msg, "kvm_vm_dead"));
	stop(&r);
}

/* A guest without CPUID LM: the 32-bit layout, EFER left alone. */
static void test_32bit_layout_without_long_mode(void **state)
{
	struct run r;
	struct scn_error err;
	struct cpu_regs *c;
	static const char json[] =
		MACHINE("") "\"steps\": ["
			    "{\"op\": \"set\", \"cr3\": \"0x1000\", \"cr4\": \"PSE\"},"
			    "{\"op\": \"set\", \"cr0\": \"PE|PG\"},"
			    "{\"op\": \"smi\"}, {\"op\": \"rsm\"}]}";

	(void)state;
	assert_int_equal(scn_load_buffer("t.json", json, strlen(json), &r.s, &err), 0);
	r.s.machine.feat.lm = r.s.machine.feat.la57 = r.s.machine.feat.gbpages = false;
	assert_int_equal(sim_create(&r.sim, &r.s, &err), 0);
	steps(&r, 3);
	c = &vcpu0(&r)->cpu.r;
	assert_int_equal(c->cr0, 0x10);
	assert_int_equal(rd(&r, 1, 0x3fffc, 4), 0x80000011); /* CR0 */
	assert_int_equal(rd(&r, 1, 0x3fff8, 4), 0x1000); /* CR3 */
	assert_int_equal(rd(&r, 1, 0x3ff14, 4), 0x10); /* CR4 */
	assert_int_equal(rd(&r, 1, 0x3fef8, 4), 0x30000); /* SMBASE */
	assert_int_equal(rd(&r, 1, 0x3fefc, 4), 0x00020000); /* revision */
	steps(&r, 1);
	assert_int_equal(c->cr0, 0x80000011);
	assert_int_equal(c->cr4, 0x10);
	assert_false(c->smm);
	stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smi_saves_the_state_and_loads_the_entry_state),
		cmocka_unit_test(test_access_in_smm_uses_the_smm_roots_shadow),
		cmocka_unit_test(test_access_in_smm_uses_the_smm_roots_ept),
		cmocka_unit_test(test_rsm_restores_through_real_mode),
		cmocka_unit_test(test_rsm_outside_smm_is_ud_and_smi_in_smm_an_error),
		cmocka_unit_test(test_smi_in_guest_mode_is_refused),
		cmocka_unit_test(test_smbase_relocation_moves_the_save_area),
		cmocka_unit_test(test_smi_without_smram_behind_the_save_area_is_an_error),
		cmocka_unit_test(test_32bit_layout_without_long_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
