/* SPDX-License-Identifier: MIT */
/*
 * The timeline (sim/view.h): a sim that moves to any step exactly. As the run
 * passes every interval-th step it keeps a clone (a checkpoint); a seek restores
 * a clone of the nearest checkpoint at or before the target and replays the
 * rest, muted. Checkpoints stay under a memory bound by doubling the interval
 * and dropping every other one. docs/timeline.md.
 */
#include "sim/view.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/clone.h"
#include "sim/engine_priv.h"

#define TL_DEFAULT_MAX_BYTES (512ULL << 20)
#define TL_MAX_REPLAY 1000u /* the default interval's ceiling: steps a seek replays */
#define TL_MIN_CHECKPOINTS 64u /* short scenarios: at least this many checkpoints */
#define TL_MAX_INTERVAL (1u << 30)
#define TL_RECENT 32u /* clones near the current position */
#define TL_FINE_PER_INTERVAL 16u /* recent clones per interval */
#define TL_FINE_MIN_INTERVAL 64u /* below this, replays are short enough without */

struct tl_checkpoint {
	u32 step;
	u64 bytes;
	struct sim *sim;
};

struct sim_timeline {
	const struct scenario *s;
	struct sim *cur;
	struct tl_checkpoint *cps; /* ascending steps; cps[0] is step 0 */
	u32 ncps, cap;
	u32 interval;
	u64 max_bytes, bytes; /* bytes: checkpoints and recent clones together */
	/*
	 * Recent clones: every interval/16 steps (the fine grid) within one interval
	 * before where a seek stops, so stepping back from there replays at most
	 * interval/16 steps. Unordered; the one farthest from a new one is dropped.
	 */
	struct tl_checkpoint recent[TL_RECENT];
	u32 nrecent;
};

static u32 fine_interval(const struct sim_timeline *tl)
{
	u32 f = tl->interval / TL_FINE_PER_INTERVAL;

	return f ? f : 1;
}

static void drop_recent(struct sim_timeline *tl, u32 i)
{
	tl->bytes -= tl->recent[i].bytes;
	sim_destroy(tl->recent[i].sim);
	tl->recent[i] = tl->recent[--tl->nrecent];
}

/* The default interval: about TL_MIN_CHECKPOINTS checkpoints over the scenario, at
 * most TL_MAX_REPLAY steps apart (the memory bound may widen it later). */
static u32 default_interval(const struct scenario *s)
{
	u32 iv = s->nsteps / TL_MIN_CHECKPOINTS;

	if (iv < 1)
		iv = 1;
	return iv > TL_MAX_REPLAY ? TL_MAX_REPLAY : iv;
}

/* Over max_bytes: drop the recent clones, then double the interval and drop the
 * checkpoints off the new grid (step 0 stays), until the clones fit in max_bytes
 * or only step 0 is left. */
static void shrink(struct sim_timeline *tl)
{
	while (tl->bytes > tl->max_bytes && tl->nrecent)
		drop_recent(tl, 0);
	while (tl->bytes > tl->max_bytes && tl->ncps > 1 && tl->interval < TL_MAX_INTERVAL) {
		u32 keep = 1;

		tl->interval *= 2;
		for (u32 i = 1; i < tl->ncps; i++) {
			struct tl_checkpoint *cp = &tl->cps[i];

			if (cp->step % tl->interval) {
				tl->bytes -= cp->bytes;
				sim_destroy(cp->sim);
				continue;
			}
			tl->cps[keep++] = *cp;
		}
		tl->ncps = keep;
	}
}

/* Keep a clone of the current sim as the checkpoint of its step. */
static int checkpoint(struct sim_timeline *tl)
{
	struct tl_checkpoint cp;
	int r;

	if (tl->ncps == tl->cap) {
		u32 ncap = tl->cap ? tl->cap * 2 : 16;
		struct tl_checkpoint *n = realloc(tl->cps, ncap * sizeof(*n));

		if (!n)
			return MSC_ENOMEM;
		tl->cps = n;
		tl->cap = ncap;
	}
	cp.step = sim_steps_done(tl->cur);
	r = sim_clone_sized(tl->cur, &cp.sim, &cp.bytes);
	if (r)
		return r;
	cp.sim->muted = false;
	tl->cps[tl->ncps++] = cp;
	tl->bytes += cp.bytes;
	shrink(tl);
	return 0;
}

/* Keep a clone of the current sim among the recent ones (none twice per step). */
static int keep_recent(struct sim_timeline *tl)
{
	u32 done = sim_steps_done(tl->cur), far = 0;
	struct tl_checkpoint cp;
	int r;

	for (u32 i = 0; i < tl->nrecent; i++) {
		u32 d = tl->recent[i].step > done ? tl->recent[i].step - done
						  : done - tl->recent[i].step;
		u32 dfar = tl->recent[far].step > done ? tl->recent[far].step - done
						       : done - tl->recent[far].step;

		if (!d)
			return 0;
		if (d > dfar)
			far = i;
	}
	if (tl->nrecent == TL_RECENT)
		drop_recent(tl, far);
	cp.step = done;
	r = sim_clone_sized(tl->cur, &cp.sim, &cp.bytes);
	if (r)
		return r;
	cp.sim->muted = false;
	tl->recent[tl->nrecent++] = cp;
	tl->bytes += cp.bytes;
	shrink(tl);
	return 0;
}

int sim_timeline_create(struct sim_timeline **out, const struct scenario *s, u32 interval,
			u64 max_bytes, struct scn_error *err)
{
	struct sim_timeline *tl;
	int r;

	if (!out || !s) {
		if (err)
			memset(err, 0, sizeof(*err));
		return MSC_EINVAL;
	}
	*out = NULL;
	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return MSC_ENOMEM;
	tl->s = s;
	tl->interval = interval ? interval : default_interval(s);
	if (tl->interval > TL_MAX_INTERVAL)
		tl->interval = TL_MAX_INTERVAL;
	tl->max_bytes = max_bytes ? max_bytes : TL_DEFAULT_MAX_BYTES;
	r = sim_create(&tl->cur, s, err);
	if (!r)
		r = checkpoint(tl);
	if (r) {
		sim_timeline_destroy(tl);
		return r;
	}
	*out = tl;
	return 0;
}

void sim_timeline_destroy(struct sim_timeline *tl)
{
	if (!tl)
		return;
	for (u32 i = 0; i < tl->ncps; i++)
		sim_destroy(tl->cps[i].sim);
	for (u32 i = 0; i < tl->nrecent; i++)
		sim_destroy(tl->recent[i].sim);
	free(tl->cps);
	sim_destroy(tl->cur);
	free(tl);
}

/* The last checkpoint or recent clone at or before @step (there is always step 0). */
static const struct tl_checkpoint *nearest(const struct sim_timeline *tl, u32 step)
{
	const struct tl_checkpoint *best;
	u32 lo = 0, hi = tl->ncps;

	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (tl->cps[mid].step <= step)
			lo = mid;
		else
			hi = mid;
	}
	best = &tl->cps[lo];
	for (u32 i = 0; i < tl->nrecent; i++) {
		if (tl->recent[i].step <= step && tl->recent[i].step > best->step)
			best = &tl->recent[i];
	}
	return best;
}

/* Replace the current sim by a clone of @cp (the audit mode carries over). */
static int restore(struct sim_timeline *tl, const struct tl_checkpoint *cp)
{
	struct sim *n;
	int r = sim_clone(cp->sim, &n);

	if (r)
		return r;
	n->audit = tl->cur->audit;
	sim_destroy(tl->cur);
	tl->cur = n;
	return 0;
}

int sim_timeline_seek(struct sim_timeline *tl, u32 step, struct scn_error *err)
{
	const struct tl_checkpoint *cp;
	u32 done;
	int r = 0;

	if (!tl)
		return MSC_EINVAL;
	done = sim_steps_done(tl->cur);
	cp = nearest(tl, step);
	/* Back, or forward past a checkpoint: start from the checkpoint. */
	if (step < done || cp->step > done) {
		r = restore(tl, cp);
		if (r)
			return r;
	}
	tl->cur->muted = true;
	while (sim_steps_done(tl->cur) < step) {
		r = sim_step(tl->cur, err);
		if (r)
			break;
		done = sim_steps_done(tl->cur);
		if (done % tl->interval == 0) {
			if (done > tl->cps[tl->ncps - 1].step) {
				r = checkpoint(tl);
				if (r)
					break;
			}
		} else if (tl->interval >= TL_FINE_MIN_INTERVAL && done % fine_interval(tl) == 0 &&
			   (u64)done + tl->interval >= step) {
			r = keep_recent(tl);
			if (r)
				break;
		}
	}
	tl->cur->muted = false;
	return r;
}

struct sim *sim_timeline_sim(struct sim_timeline *tl)
{
	return tl ? tl->cur : NULL;
}

void sim_timeline_stats(const struct sim_timeline *tl, u32 *checkpoints, u32 *interval, u64 *bytes)
{
	if (checkpoints)
		*checkpoints = tl ? tl->ncps : 0;
	if (interval)
		*interval = tl ? tl->interval : 0;
	if (bytes)
		*bytes = tl ? tl->bytes : 0;
}
