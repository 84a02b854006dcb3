/* SPDX-License-Identifier: MIT */
/* A viewing session: scenario + recording + timeline + model at a step. */
#include "viz/session.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

int viz_session_open(struct viz_session **out, const char *path, struct scn_error *err)
{
	struct viz_session *vs = calloc(1, sizeof(*vs));
	int ret;

	*out = NULL;
	if (!vs)
		return MSC_ENOMEM;
	viz_model_init(&vs->model);
	ret = scn_load_file(path, &vs->scn, err);
	if (ret)
		goto fail;
	vs->loaded = true;
	ret = viz_rec_build(&vs->rec, &vs->scn, err);
	if (ret)
		goto fail;
	vs->last = vs->rec.nsteps;
	ret = sim_timeline_create(&vs->tl, &vs->scn, 0, 0, err);
	if (ret)
		goto fail;
	ret = viz_session_seek(vs, 0, err);
	if (ret)
		goto fail;
	*out = vs;
	return 0;
fail:
	viz_session_destroy(vs);
	return ret;
}

void viz_session_destroy(struct viz_session *vs)
{
	if (!vs)
		return;
	viz_model_free(&vs->model);
	if (vs->tl)
		sim_timeline_destroy(vs->tl);
	viz_rec_free(&vs->rec);
	if (vs->loaded)
		scn_free(&vs->scn);
	free(vs);
}

int viz_session_seek(struct viz_session *vs, u32 step, struct scn_error *err)
{
	int ret;

	if (step > vs->last)
		step = vs->last;
	ret = sim_timeline_seek(vs->tl, step, err);
	if (ret < 0)
		return ret;
	return viz_model_capture(&vs->model, sim_timeline_sim(vs->tl), &vs->scn, &vs->rec);
}

u32 viz_session_step(const struct viz_session *vs)
{
	return vs->model.step;
}

u32 viz_session_next_event(const struct viz_session *vs, enum viz_evk k)
{
	for (u32 s = vs->model.step; s < vs->rec.nsteps; s++)
		if (vs->rec.steps[s].kinds & (1u << k))
			return s + 1;
	return vs->last;
}
