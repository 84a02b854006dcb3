/* SPDX-License-Identifier: MIT */
/*
 * Comparing: match a runner's records with the lowering's predictions
 * (docs/host.md, "Comparing and the divergence table"). A record is a match
 * when it equals one allowed outcome, explained when it differs only as an
 * entry of the runner's known-divergence table says, else unexplained.
 */
#ifndef MSC_HOST_COMPARE_H
#define MSC_HOST_COMPARE_H

#include "host/batch.h"
#include "host/lower.h"

enum cmp_verdict {
	CMP_MATCH,
	CMP_EXPLAINED,
	CMP_UNEXPLAINED,
	CMP_SKIPPED,
};

/* One known divergence between a runner and the architecture (host/known.c). */
struct known_divergence {
	const char *id; /* "tcg-rsvd-p" */
	const char *runners; /* space-separated runner names it applies to */
	/* Whether observation @r differs from allowed outcome @o of prediction @p
	 * exactly as this entry says. */
	bool (*applies)(const struct lower_pred *p, const struct lower_outcome *o,
			const struct hb_record *r);
	const char *desc; /* one line */
	const char *evidence; /* where it was read and measured */
};

/* The table, and its size in *n. */
const struct known_divergence *host_known_table(size_t *n);
/* The first entry for @runner that explains @r against one of @p's outcomes, or NULL. */
const struct known_divergence *host_known_explain(const char *runner, const struct lower_pred *p,
						  const struct hb_record *r);

/* The verdict on one prediction (or on a record nobody predicted). */
struct cmp_item {
	u32 pred; /* index into lower_result.preds; UINT32_MAX for an extra record */
	const struct hb_record *rec; /* NULL when the record is missing */
	enum cmp_verdict v;
	const struct known_divergence *known; /* CMP_EXPLAINED */
	char why[120]; /* CMP_SKIPPED / CMP_UNEXPLAINED: why */
};

struct cmp_summary {
	u32 match, explained, unexplained, skipped;
};

/*
 * Compare @nrecs records of @runner with @lr's predictions. @items receives
 * lr->npreds + nrecs entries at most (allocate that many); *nitems is set.
 * Records are matched by command index; a missing record or an unpredicted
 * one is unexplained. A MODE/CR3 answered HB_ST_CONFLICT is skipped ("harness
 * window conflict"), and so is every record under it up to the next MODE;
 * HB_ST_REFUSED where the simulator accepted the mode is unexplained, and the
 * records under it are skipped ("mode refused"). Fills @sum.
 */
void host_compare(const struct lower_result *lr, const struct hb_record *recs, u32 nrecs,
		  const char *runner, struct cmp_item *items, u32 *nitems, struct cmp_summary *sum);

/* Whether record @r equals outcome @o of a prediction for an access of @size bytes. */
bool host_outcome_equal(const struct lower_outcome *o, const struct hb_record *r, u8 size);

const char *host_verdict_name(enum cmp_verdict v);

#endif
