/* SPDX-License-Identifier: MIT */
/*
 * Differential campaigns (docs/host.md, "mmuscope diff"): seeded random
 * scenarios of the architecture -- paging modes, entry flags, CR0.WP, SMEP,
 * SMAP with RFLAGS.AC, PKU, NX, global pages, CR3 switches, accesses at CPL 0
 * and 3, page-table edits with and without INVLPG -- run on the simulator and
 * on a runner, many per probe batch; an unexplained divergence is shrunk to a
 * minimal scenario file. Scenario i of a campaign depends only on (seed, i),
 * so a campaign splits deterministically into shards.
 */
#ifndef MSC_HOST_CAMPAIGN_H
#define MSC_HOST_CAMPAIGN_H

#include "host/compare.h"
#include "host/lower.h"
#include "host/runner.h"

#define CAMP_MAX_STEPS 256u

/* A generated scenario as its parts, so that steps can be dropped (shrinking). */
struct camp_scenario {
	char *head; /* '{' ... "steps": [' : everything before the first step */
	char *steps[CAMP_MAX_STEPS]; /* one JSON object each */
	u32 nsteps;
	u32 nfixed; /* the first nfixed steps (mode set-up) are never dropped */
};

/* Scenario @index of campaign @seed, with about @steps steps (8..CAMP_MAX_STEPS-16);
 * @machine "npt" (the default when NULL), "ept" or "none" (shadow paging).
 * Page-table edits are followed by INVLPG of the page (a flush for a large
 * one), as an OS does, unless @stale: then the TLB may keep the old
 * translation and every outcome the architecture allows counts. 0 or
 * MSC_ENOMEM. */
int camp_generate(u64 seed, u32 index, u32 steps, const char *machine, bool stale,
		  struct camp_scenario *out) MSC_MUST_CHECK;
void camp_free(struct camp_scenario *cs);

/* The JSON text of @cs with only the steps whose @keep bit is set (NULL: all);
 * malloc'd, NUL-terminated, or NULL when out of memory. */
char *camp_json(const struct camp_scenario *cs, const bool *keep);

/* Whether campaign scenario @index belongs to shard @k of @m (1-based k). */
static inline bool camp_in_shard(u32 index, u32 k, u32 m)
{
	return m <= 1 || index % m == k - 1;
}

/* The outcome of one scenario (or of a batch of them) on a runner. */
#define CAMP_SKIP_REASONS 8u

struct camp_tally {
	u32 scenarios, skipped_scenarios, probes;
	struct cmp_summary sum;
	/* the skipped records by reason (the first CAMP_SKIP_REASONS reasons met) */
	char skip_why[CAMP_SKIP_REASONS][120];
	u32 skip_n[CAMP_SKIP_REASONS];
};

/*
 * Run the lowered scenarios @lr[0..n) as one batch on @runner (@image: the probe
 * image) and compare each. @per (n entries, may be NULL) receives each one's
 * summary; @total accumulates. 0, or an error of the runner (message in @err),
 * MSC_ENOSPC when they do not fit in one batch, MSC_ENOMEM.
 */
int camp_run_batch(const struct host_runner *runner, const void *image,
		   const struct lower_result *lr, u32 n, struct cmp_summary *per,
		   struct camp_tally *total, char *err, size_t errlen) MSC_MUST_CHECK;

#endif
