/* SPDX-License-Identifier: MIT */
/*
 * A viewing session: a scenario, its recording run, the timeline that moves
 * the machine to any step exactly, and the model captured at the current step.
 * Shared by `mmuscope render`, `mmuscope gui` and the tests.
 */
#ifndef MSC_VIZ_SESSION_H
#define MSC_VIZ_SESSION_H

#include "viz/layout.h"
#include "viz/model.h"

struct viz_session {
	struct scenario scn;
	bool loaded;
	struct viz_rec rec;
	struct sim_timeline *tl;
	struct viz_model model;
	u32 last; /* steps the scenario can run (the recording's end) */
};

/*
 * Load @path, record its run and open the timeline at step 0. 0; MSC_EINVAL,
 * MSC_EIO, MSC_E2BIG with @err positioned (as scn_load_file, sim_create);
 * MSC_ENOMEM. On error *@out is NULL.
 */
int viz_session_open(struct viz_session **out, const char *path,
		     struct scn_error *err) MSC_MUST_CHECK;
void viz_session_destroy(struct viz_session *vs);
/* Move to the state after @step steps (clamped to the end) and capture it.
 * 0 or a negative error with @err positioned. */
int viz_session_seek(struct viz_session *vs, u32 step, struct scn_error *err) MSC_MUST_CHECK;
/* Steps done at the current state. */
u32 viz_session_step(const struct viz_session *vs);
/* The first step after the current one whose recording has event kind @k, or
 * the end when none: the position after that step. */
u32 viz_session_next_event(const struct viz_session *vs, enum viz_evk k);

#endif
