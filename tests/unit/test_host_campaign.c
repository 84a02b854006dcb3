/* SPDX-License-Identifier: MIT */
/*
 * The differential campaign's generator (host/campaign.c): scenario i of a
 * campaign depends on (seed, i) only, every generated scenario loads and lowers,
 * shrinking keeps the set-up steps, and shards partition a campaign. No runner
 * needed (tests/host/run-diff-tests.sh runs campaigns on QEMU).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/campaign.h"
#include "sim/loader.h"

static char *gen_json(u64 seed, u32 index, bool stale, struct camp_scenario *cs)
{
	assert_int_equal(camp_generate(seed, index, 40, NULL, stale, cs), 0);
	return camp_json(cs, NULL);
}

static void test_same_seed_and_index_same_scenario(void **state)
{
	struct camp_scenario a, b, c;
	char *ja = gen_json(7, 3, false, &a);
	char *jb = gen_json(7, 3, false, &b);
	char *jc = gen_json(7, 4, false, &c);

	(void)state;
	assert_string_equal(ja, jb);
	assert_string_not_equal(ja, jc);
	free(ja);
	free(jb);
	free(jc);
	camp_free(&a);
	camp_free(&b);
	camp_free(&c);
}

/* Edits of the current root directly followed by an INVLPG or a flush. */
static unsigned edits_followed(const struct camp_scenario *cs)
{
	unsigned n = 0;

	for (u32 k = cs->nfixed; k + 1 < cs->nsteps; k++)
		if ((strstr(cs->steps[k], "\"op\": \"map\"") ||
		     strstr(cs->steps[k], "\"op\": \"unmap\"")) &&
		    (strstr(cs->steps[k + 1], "invlpg") || strstr(cs->steps[k + 1], "flush_tlb")))
			n++;
	return n;
}

/* Every generated scenario is valid, runs in the simulator and lowers; the
 * four paging modes all occur; without --stale edits are followed by an
 * INVLPG or a flush. */
static void test_generated_scenarios_load_lower_and_cover_the_modes(void **state)
{
	static const char *const modes[] = {"(32)", "(pae)", "(4level)", "(5level)"};
	unsigned seen[4] = {0}, followed = 0, followed_stale = 0;

	(void)state;
	for (u32 i = 0; i < 40; i++) {
		struct camp_scenario cs;
		struct scenario s;
		struct scn_error e;
		struct lower_result lr;
		char *json = gen_json(11, i, false, &cs);

		assert_non_null(json);
		for (unsigned m = 0; m < 4; m++)
			seen[m] += strstr(json, modes[m]) != NULL;
		followed += edits_followed(&cs);
		{
			struct camp_scenario st;

			assert_int_equal(camp_generate(11, i, 40, NULL, true, &st), 0);
			followed_stale += edits_followed(&st);
			camp_free(&st);
		}
		if (scn_load_buffer("gen.json", json, strlen(json), &s, &e)) {
			print_error("scenario %u: %s\n", i, e.msg);
			fail();
		}
		assert_int_equal(host_lower(&s, i, &lr, &e), 0);
		assert_true(lr.accesses > 0);
		host_lower_free(&lr);
		scn_free(&s);
		free(json);
		camp_free(&cs);
	}
	for (unsigned m = 0; m < 4; m++)
		assert_true(seen[m] > 0);
	/* INVLPG after edits unless --stale (which keeps only the random ones). */
	assert_true(followed > 20);
	assert_true(followed_stale < followed / 2);
}

/* camp_json() with a keep mask drops exactly the unkept steps. */
static void test_keep_mask_drops_steps(void **state)
{
	struct camp_scenario cs;
	bool keep[CAMP_MAX_STEPS];
	struct scenario s;
	struct scn_error e;
	char *json;

	(void)state;
	assert_int_equal(camp_generate(5, 1, 40, "none", false, &cs), 0);
	for (u32 k = 0; k < cs.nsteps; k++)
		keep[k] = k < cs.nfixed || k % 3 == 0;
	json = camp_json(&cs, keep);
	assert_non_null(json);
	assert_int_equal(scn_load_buffer("keep.json", json, strlen(json), &s, &e), 0);
	{
		u32 kept = 0;

		for (u32 k = 0; k < cs.nsteps; k++)
			kept += keep[k];
		assert_int_equal(s.nsteps, kept);
	}
	scn_free(&s);
	free(json);
	camp_free(&cs);
}

static void test_shards_partition_a_campaign(void **state)
{
	(void)state;
	for (u32 i = 0; i < 100; i++) {
		unsigned owners = 0;

		for (u32 k = 1; k <= 7; k++)
			owners += camp_in_shard(i, k, 7);
		assert_int_equal(owners, 1);
		assert_true(camp_in_shard(i, 1, 1));
	}
}

/* Nested-paging episodes (host/campaign.c gen_nested): only in 4-level
 * scenarios, a vmentry with NPT and its vmexit, and the lowering turns the
 * vmentry into a VMRUN_MODE with L2 accesses after it. */
static void test_nested_episodes_are_4level_and_lowered(void **state)
{
	unsigned episodes = 0;

	(void)state;
	for (u32 i = 0; i < 120; i++) {
		struct camp_scenario cs;
		struct scenario s;
		struct scn_error e;
		struct lower_result lr;
		char *json = gen_json(1, i, false, &cs);
		bool vmrun = false, l2_access = false;

		assert_non_null(json);
		if (!strstr(json, "vmentry")) {
			free(json);
			camp_free(&cs);
			continue;
		}
		episodes++;
		assert_non_null(strstr(json, "(4level)"));
		assert_non_null(strstr(json, "\"npt\": true"));
		assert_non_null(strstr(json, "\"op\": \"vmexit\""));
		assert_int_equal(scn_load_buffer("gen.json", json, strlen(json), &s, &e), 0);
		assert_int_equal(host_lower(&s, i, &lr, &e), 0);
		for (u32 k = 0; k < lr.batch.ncmds; k++) {
			l2_access |= vmrun && lr.batch.cmds[k].op == HB_OP_ACCESS &&
				     (lr.batch.cmds[k].a >> 12) >= 0x600 &&
				     (lr.batch.cmds[k].a >> 12) < 0x604;
			vmrun |= lr.batch.cmds[k].op == HB_OP_VMRUN_MODE;
		}
		assert_true(vmrun);
		assert_true(l2_access);
		host_lower_free(&lr);
		scn_free(&s);
		free(json);
		camp_free(&cs);
	}
	assert_true(episodes >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_and_index_same_scenario),
		cmocka_unit_test(test_generated_scenarios_load_lower_and_cover_the_modes),
		cmocka_unit_test(test_keep_mask_drops_steps),
		cmocka_unit_test(test_shards_partition_a_campaign),
		cmocka_unit_test(test_nested_episodes_are_4level_and_lowered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
