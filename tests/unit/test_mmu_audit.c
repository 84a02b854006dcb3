// SPDX-License-Identifier: MIT
/*
 * The MMU auditor (mmu/audit.c, docs/audit.md): a consistent shadow-paging VM
 * audits clean, and each deliberately broken invariant is reported under its
 * name with the shadow page concerned; the engine's audit mode turns violations
 * into "audit: " divergence events and failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mmu/audit.h"
#include "sim/engine_priv.h"

static const char scn_text[] =
	"{\"version\": 1, \"name\": \"audit\", \"machine\": {"
	"\"memslots\": [{\"gpa\": \"0x0\", \"size\": \"0x400000\"}],"
	"\"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", \"size\": \"0x20000\"}},"
	"\"steps\": ["
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": \"0x400000\","
	" \"pa\": \"0x10000\", \"flags\": \"P|W|U|A|D\"},"
	"{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": "
	"\"0x1000\"},"
	"{\"op\": \"set\", \"cr0\": \"PE|PG|WP\"},"
	"{\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"write\", \"size\": 8},"
	"{\"op\": \"access\", \"va\": \"0x400008\", \"kind\": \"read\", \"size\": 8}"
	"]}";

struct fixture {
	struct scenario s;
	struct sim *sim;
	struct mmu_vcpu *v;
};

static int setup(void **state)
{
	static struct fixture f;
	struct scn_error err;

	memset(&f, 0, sizeof(f));
	if (scn_load_buffer("audit", scn_text, sizeof(scn_text) - 1, &f.s, &err))
		return -1;
	if (sim_create(&f.sim, &f.s, &err))
		return -1;
	if (sim_run(f.sim, UINT32_MAX, &err) != 1)
		return -1;
	f.v = sim_mmu_vcpu(f.sim, 0);
	if (!f.v)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sim_destroy(f->sim);
	scn_free(&f->s);
	return 0;
}

static struct kvm_mmu_page *root_sp(struct fixture *f)
{
	return mmu_root_to_sp(f->v->vm, f->v->root_mmu.root.hpa);
}

static void test_clean_vm_audits_clean(void **state)
{
	struct fixture *f = *state;
	struct mmu_audit_report rep;

	assert_non_null(root_sp(f));
	assert_int_equal(mmu_audit(f->v->vm, f->v, 1, &rep), 0);
	assert_int_equal(rep.count, 0);
	assert_int_equal(sim_failures(f->sim), 0);
}

static void expect_one(struct fixture *f, enum mmu_audit_inv inv, const struct kvm_mmu_page *sp)
{
	struct mmu_audit_report rep;
	char line[256];

	assert_true(mmu_audit(f->v->vm, f->v, 1, &rep) >= 1);
	assert_true(rep.kept >= 1);
	assert_int_equal(rep.v[0].inv, inv);
	if (sp) {
		assert_int_equal(rep.v[0].serial, sp->serial);
		assert_int_equal(rep.v[0].role, sp->role.word);
	}
	mmu_audit_format(&rep.v[0], line, sizeof(line));
	assert_non_null(strstr(line, mmu_audit_inv_name(inv)));
	assert_int_equal(strncmp(line, "audit: ", 7), 0);
}

static void test_root_count_mismatch(void **state)
{
	struct fixture *f = *state;
	struct kvm_mmu_page *sp = root_sp(f);

	sp->root_count++;
	expect_one(f, MMU_AUDIT_ROOT_COUNT, sp);
	sp->root_count--;
	assert_int_equal(mmu_audit(f->v->vm, f->v, 1, NULL), 0);
}

static void test_unsync_stat_mismatch(void **state)
{
	struct fixture *f = *state;

	f->v->vm->stats.mmu_unsync++;
	expect_one(f, MMU_AUDIT_UNSYNC, NULL);
	f->v->vm->stats.mmu_unsync--;
}

static void test_parent_pointer_and_unsync_bitmap(void **state)
{
	struct fixture *f = *state;
	struct kvm_mmu_page *sp = root_sp(f);

	sp->unsync_child_bitmap[0] |= 1;
	expect_one(f, MMU_AUDIT_UNSYNC, sp);
	sp->unsync_child_bitmap[0] &= ~1ULL;
	assert_int_equal(mmu_audit(f->v->vm, f->v, 1, NULL), 0);
}

/* The leaf SPTE made writable against a read-only gpte: (g), and its gfn moved. */
static void test_leaf_spte_against_gpte(void **state)
{
	struct fixture *f = *state;
	struct mmu_vm *vm = f->v->vm;
	u64 sptep[4], *p, saved;

	assert_int_equal(mmu_rmap_get(vm, 0, 0x10, 1, sptep, 4), 1);
	p = mmu_sptep_ptr(vm, sptep[0]);
	assert_non_null(p);
	saved = *p;
	*p = saved + (1ULL << 12); /* the next host frame */
	expect_one(f, MMU_AUDIT_GPTE, mmu_sptep_to_sp(vm, sptep[0]));
	*p = 0; /* not present: the rmap now lists a dead SPTE */
	expect_one(f, MMU_AUDIT_RMAP, mmu_sptep_to_sp(vm, sptep[0]));
	*p = saved;
	assert_int_equal(mmu_audit(vm, f->v, 1, NULL), 0);
}

static void test_write_track_mismatch(void **state)
{
	struct fixture *f = *state;
	struct kvm_mmu_page *sp = root_sp(f);

	/* Counting the root's gfn once more breaks (e) for that gfn. */
	assert_true(mmu_gfn_write_track_count(f->v->vm, 0, sp->gfn) >= 1);
	sp->role.invalid = 1;
	assert_true(mmu_audit(f->v->vm, f->v, 1, NULL) >= 1);
	sp->role.invalid = 0;
	assert_int_equal(mmu_audit(f->v->vm, f->v, 1, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_vm_audits_clean),
		cmocka_unit_test(test_root_count_mismatch),
		cmocka_unit_test(test_unsync_stat_mismatch),
		cmocka_unit_test(test_parent_pointer_and_unsync_bitmap),
		cmocka_unit_test(test_leaf_spte_against_gpte),
		cmocka_unit_test(test_write_track_mismatch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
