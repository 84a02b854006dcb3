/* SPDX-License-Identifier: MIT */
/*
 * The timeline's step back (sim/view.h): a generated scenario (bench/timeline_gen.h:
 * accesses, CR3 switches among four address spaces, guest map/unmap, INVLPG) on
 * a shadow-paging machine and on an EPT machine (TDP MMU). The timeline runs
 * forward to the end, placing its checkpoints; then, at random N (seeded), the
 * GUI's "step back": the timeline is moved to N (untimed; its time is reported
 * as "jump"), and sim_timeline_seek(N - 1) is timed. Baseline, measured in the
 * same run for some of the same N: what sim_seek() does without checkpoints --
 * rebuild the machine and replay N - 1 steps.
 *
 *   bench_timeline [--smoke] [--steps N] [--backs K] [--baseline B] [--seed S]
 *
 * Every step back is checked (steps done, and the state against the baseline's
 * where one ran); a violation exits 1. The goal (docs/timeline.md): a step back
 * within 50 ms on a 100,000-step scenario; the run says whether it was met.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "bench/timeline_gen.h"
#include "sim/view.h"

#define MAX_BACKS 4096
#define MAX_BASELINE 64
#define GOAL_MS 50.0

static void check(bool ok, const char *what, u64 want, u64 got)
{
	bench_check("bench_timeline", ok, what, want, got);
}

/* The snapshots of two sims at the same step agree (registers, counters). */
static void check_same(const struct sim *a, const struct sim *b)
{
	struct sim_snapshot sa, sb;

	sim_snapshot(a, &sa);
	sim_snapshot(b, &sb);
	check(sa.step == sb.step, "step", sb.step, sa.step);
	check(sa.failures == sb.failures, "failures", sb.failures, sa.failures);
	check(!memcmp(&sa.counters, &sb.counters, sizeof(sa.counters)), "counters", 0, 1);
	check(sa.vcpu[0].r.cr3 == sb.vcpu[0].r.cr3, "cr3", sb.vcpu[0].r.cr3, sa.vcpu[0].r.cr3);
	check(sa.vcpu[0].tlb_entries == sb.vcpu[0].tlb_entries, "tlb entries",
	      sb.vcpu[0].tlb_entries, sa.vcpu[0].tlb_entries);
	check(sim_view_sps(a, NULL, 0) == sim_view_sps(b, NULL, 0), "shadow pages",
	      sim_view_sps(b, NULL, 0), sim_view_sps(a, NULL, 0));
}

#define SEQ_RUNS 5
#define SEQ_LEN 100

struct figs {
	double fwd_s, back_med, back_max, jump_med, base_med, ratio, seq_med, seq_max;
	u32 cps, interval, over_goal, seq_over;
	u64 bytes;
	int nbacks, nbase, nseq;
};

static int run_machine(bool ept, u32 steps, int backs, int nbase, u64 seed, struct figs *f)
{
	static double back_ms[MAX_BACKS], jump_ms[MAX_BACKS], base_ms[MAX_BASELINE],
		pair_ms[MAX_BASELINE], seq_ms[SEQ_RUNS * SEQ_LEN];
	int nseq = 0;
	struct scenario s;
	struct scn_error err;
	struct sim_timeline *tl;
	struct tlg rng = {.x = seed * 2654435761u + 1};
	double t0;

	memset(f, 0, sizeof(*f));
	if (tlg_load(&s, steps, seed, ept))
		return -1;
	if (sim_timeline_create(&tl, &s, 0, 0, &err)) {
		scn_free(&s);
		return -1;
	}
	t0 = now_ns();
	check(sim_timeline_seek(tl, steps, &err) == 0, "forward run", 0, 1);
	f->fwd_s = (now_ns() - t0) / 1e9;
	sim_timeline_stats(tl, &f->cps, &f->interval, &f->bytes);
	for (int i = 0; i < backs; i++) {
		u32 n = 1 + (u32)(tlg_next(&rng) % steps);
		int r;

		t0 = now_ns();
		r = sim_timeline_seek(tl, n, &err);
		jump_ms[i] = (now_ns() - t0) / 1e6;
		check(r == 0, "seek to N", 0, (u64)r);
		t0 = now_ns();
		r = sim_timeline_seek(tl, n - 1, &err);
		back_ms[i] = (now_ns() - t0) / 1e6;
		check(r == 0, "step back", 0, (u64)r);
		check(sim_steps_done(sim_timeline_sim(tl)) == n - 1, "steps after the step back",
		      n - 1, sim_steps_done(sim_timeline_sim(tl)));
		f->over_goal += back_ms[i] > GOAL_MS;
		if (back_ms[i] > f->back_max)
			f->back_max = back_ms[i];
		/* Baseline for the first few: sim_seek() from N back to N - 1. */
		if (i < nbase) {
			struct sim *b;

			if (sim_create(&b, &s, &err) || sim_run(b, n, &err)) {
				check(false, "baseline set-up", 0, 1);
				continue;
			}
			t0 = now_ns();
			r = sim_seek(b, n - 1, &err);
			base_ms[i] = (now_ns() - t0) / 1e6;
			pair_ms[i] = back_ms[i];
			check(r == 0, "baseline seek", 0, (u64)r);
			check_same(sim_timeline_sim(tl), b);
			sim_destroy(b);
		}
	}
	/* Sequential: from a random N, SEQ_LEN step backs in a row (N-1, N-2, ...),
	 * as a user holding the key; crosses checkpoints when N is just past one. */
	for (int k = 0; k < SEQ_RUNS && steps > SEQ_LEN + 1; k++) {
		u32 n = SEQ_LEN + 1 + (u32)(tlg_next(&rng) % (steps - SEQ_LEN));

		check(sim_timeline_seek(tl, n, &err) == 0, "seek to N", 0, 1);
		for (u32 j = 1; j <= SEQ_LEN; j++) {
			int r;

			t0 = now_ns();
			r = sim_timeline_seek(tl, n - j, &err);
			seq_ms[nseq] = (now_ns() - t0) / 1e6;
			check(r == 0 && sim_steps_done(sim_timeline_sim(tl)) == n - j,
			      "sequential step back", n - j, sim_steps_done(sim_timeline_sim(tl)));
			f->seq_over += seq_ms[nseq] > GOAL_MS;
			if (seq_ms[nseq] > f->seq_max)
				f->seq_max = seq_ms[nseq];
			nseq++;
		}
	}
	if (nseq)
		f->seq_med = median(seq_ms, nseq);
	f->nseq = nseq;
	f->nbacks = backs;
	f->nbase = nbase;
	if (nbase) {
		double pairs = median(pair_ms, nbase);

		f->base_med = median(base_ms, nbase);
		f->ratio = f->base_med / pairs;
	}
	f->back_med = median(back_ms, backs);
	f->jump_med = median(jump_ms, backs);
	sim_timeline_destroy(tl);
	scn_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[2] = {"shadow", "ept"};
	u32 steps = 100000;
	int backs = 200, nbase = 5;
	u64 seed = 1;
	bool met = true;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			steps = 2000;
			backs = 20;
			nbase = 2;
		} else if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
			steps = (u32)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--backs") && i + 1 < argc) {
			backs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--baseline") && i + 1 < argc) {
			nbase = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: bench_timeline [--smoke] [--steps N] [--backs K] "
					"[--baseline B] [--seed S]\n");
			return 2;
		}
	}
	if (steps < TLG_SETUP + 2 || backs < 1 || backs > MAX_BACKS || nbase < 0 ||
	    nbase > MAX_BASELINE || nbase > backs) {
		fprintf(stderr,
			"bench_timeline: need N >= %u, 1 <= K <= %d, 0 <= B <= min(K, %d)\n",
			TLG_SETUP + 2, MAX_BACKS, MAX_BASELINE);
		return 2;
	}
	printf("bench_timeline: %u steps, %d step backs (N -> N-1, random N, seed %" PRIu64
	       "), baseline sim_seek() for %d of them\n",
	       steps, backs, seed, nbase);
	printf("%-7s %8s %9s %10s %8s %9s %9s %9s %10s %8s\n", "machine", "fwd s", "cps", "MiB",
	       "interval", "back ms", "max ms", "jump ms", "base ms", "ratio");
	for (int m = 0; m < 2; m++) {
		struct figs f;

		if (run_machine(m == 1, steps, backs, nbase, seed, &f)) {
			fprintf(stderr, "bench_timeline: %s: set-up failed\n", names[m]);
			return 1;
		}
		printf("%-7s %8.2f %9u %10.1f %8u %9.2f %9.2f %9.2f %10.1f %7.1fx\n", names[m],
		       f.fwd_s, f.cps, (double)f.bytes / (1 << 20), f.interval, f.back_med,
		       f.back_max, f.jump_med, f.base_med, f.ratio);
		if (f.over_goal)
			met = false;
		printf("  %s: %u of %d step backs over %.0f ms; %d in a row (%d runs): median %.2f "
		       "ms, max %.2f ms, %u over\n",
		       names[m], f.over_goal, f.nbacks, GOAL_MS, f.nseq, SEQ_RUNS, f.seq_med,
		       f.seq_max, f.seq_over);
	}
	printf("goal (every random step back within %.0f ms on %u steps): %s\n", GOAL_MS, steps,
	       met ? "met" : "NOT met");
	if (bench_violations) {
		fprintf(stderr, "bench_timeline: %d invariant violation(s)\n", bench_violations);
		return 1;
	}
	return 0;
}
