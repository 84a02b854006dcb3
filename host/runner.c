/* SPDX-License-Identifier: MIT */
/* The runner registry, the probe image loader and result cleanup (host/runner.h). */
#include "host/runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "host/runner_priv.h"

#ifndef MSC_PROBE_IMAGE
#define MSC_PROBE_IMAGE "probe.bin"
#endif

static const struct host_runner *const runners[] = {
	&host_runner_qemu_tcg,
	&host_runner_qemu_kvm,
	&host_runner_kvm,
};

const struct host_runner *host_runner_find(const char *name)
{
	for (size_t i = 0; i < MSC_ARRAY_SIZE(runners); i++)
		if (!strcmp(runners[i]->name, name))
			return runners[i];
	return NULL;
}

const struct host_runner *const *host_runners(size_t *n)
{
	*n = MSC_ARRAY_SIZE(runners);
	return runners;
}

void *host_probe_image(char *err, size_t errlen)
{
	const char *path = getenv("MSCOPE_PROBE_IMAGE");
	FILE *f;
	u8 *img;
	size_t got;
	int extra;

	if (!path || !*path)
		path = MSC_PROBE_IMAGE;
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	img = malloc(HB_ROM_BYTES);
	if (!img) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	got = fread(img, 1, HB_ROM_BYTES, f);
	extra = fgetc(f);
	fclose(f);
	if (got != HB_ROM_BYTES || extra != EOF) {
		free(img);
		snprintf(err, errlen, "%s: not a probe image (expected %u bytes)", path,
			 HB_ROM_BYTES);
		return NULL;
	}
	return img;
}

void host_result_free(struct host_result *r)
{
	free(r->recs);
	r->recs = NULL;
	r->nrecs = 0;
}
