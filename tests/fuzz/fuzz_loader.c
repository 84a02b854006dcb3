/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the scenario loader: any input either loads or is refused
 * with a zeroed scenario and a message; what loads is written, reloads, and the
 * written form is a fixed point. Built and run by tests/fuzz/run-fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* scn_write into a malloc'ed buffer; aborts when the writer fails. */
static char *write_mem(const struct scenario *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	if (scn_write(s, f))
		abort();
	if (fclose(f))
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct scenario zero;
	struct scenario s, again;
	struct scn_error err;
	char msg[1024], *one, *two;
	size_t n1, n2;

	if (scn_load_buffer("fuzz.json", (const char *)data, size, &s, &err)) {
		/* Refused: nothing kept, and a message to show. */
		if (memcmp(&s, &zero, sizeof(s)) || !err.msg[0])
			abort();
		scn_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	one = write_mem(&s, &n1);
	if (scn_load_buffer("written.json", one, n1, &again, &err)) {
		scn_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "the written form does not load: %s\n%s", msg, one);
		abort();
	}
	two = write_mem(&again, &n2);
	if (n1 != n2 || memcmp(one, two, n1)) {
		fprintf(stderr, "not a fixed point:\n%s---\n%s", one, two);
		abort();
	}
	if (again.nsteps != s.nsteps || again.nvcpus != s.nvcpus ||
	    again.machine.nslots != s.machine.nslots)
		abort();
	free(one);
	free(two);
	scn_free(&again);
	scn_free(&s);
	return 0;
}
