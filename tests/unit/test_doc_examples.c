/* SPDX-License-Identifier: MIT */
/*
 * Every ```json block of docs/scenario-format.md loads, is already in canonical
 * form (the writer gives it back byte for byte), and the examples use every op;
 * each one runs through the engine with every expectation holding, unless it
 * uses a model this build refuses by name (MSC_EOPNOTSUPP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/engine.h"
#include "sim/loader.h"

#define DOC MSC_SOURCE_DIR "/docs/scenario-format.md"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	assert_non_null(f);
	do {
		if (n + 4096 > cap) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* scn_write into a malloc'ed string. */
static char *write_str(const struct scenario *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(scn_write(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Where the block (@doc) and the writer's canonical text (@canon) part. */
static void report_first_difference(const char *where, const char *doc, const char *canon)
{
	size_t i = 0, line = 1;

	while (doc[i] && doc[i] == canon[i]) {
		if (doc[i] == '\n')
			line++;
		i++;
	}
	print_error("%s: not canonical; first difference at line %zu of the block:\n"
		    " want (writer): %.60s\n got (doc):     %.60s\n",
		    where, line, canon + i, doc + i);
}

static unsigned examples_run, examples_refused;

/* Run @s to the end: every expectation must hold, or the engine must refuse a
 * model it does not have yet (a positioned MSC_EOPNOTSUPP), never anything else. */
static void run_example(const char *where, const struct scenario *s)
{
	struct sim *sim = NULL;
	struct scn_error err;
	char msg[1024];
	int rc = sim_create(&sim, s, &err);

	if (!rc)
		rc = sim_run(sim, SCN_MAX_STEPS, &err);
	if (rc < 0) {
		scn_error_format(&err, msg, sizeof(msg));
		if (rc != MSC_EOPNOTSUPP) {
			print_error("%s: example does not run: %s\n", where, msg);
			fail();
		}
		examples_refused++;
	} else {
		if (sim_failures(sim)) {
			print_error("%s: %u expectations failed\n", where, sim_failures(sim));
			fail();
		}
		examples_run++;
	}
	sim_destroy(sim);
}

/* Load one example, check the canonical form and the fixed point; mark its ops. */
static void check_example(const char *where, const char *text, size_t len, bool *ops)
{
	struct scenario s, again;
	struct scn_error err;
	char msg[1024], *out, *out2;
	int rc = scn_load_buffer(where, text, len, &s, &err);

	if (rc) {
		scn_error_format(&err, msg, sizeof(msg));
		print_error("example does not load: %s\n", msg);
		fail();
	}
	for (unsigned i = 0; i < s.nsteps; i++)
		ops[s.steps[i].op] = true;
	run_example(where, &s);
	out = write_str(&s);
	if (strlen(out) != len || memcmp(out, text, len)) {
		report_first_difference(where, text, out);
		fail();
	}
	assert_int_equal(scn_load_buffer(where, out, strlen(out), &again, &err), 0);
	out2 = write_str(&again);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	scn_free(&again);
	scn_free(&s);
}

static void test_every_json_block_loads_and_is_canonical(void **state)
{
	size_t len, nblocks = 0, line = 1;
	char *doc = read_all(DOC, &len), *p = doc;
	bool ops[SCN_NR_OPS] = {false};

	(void)state;
	while (*p) {
		char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		if (ll == 7 && !memcmp(p, "```json", 7)) {
			char *start = p + ll + 1, *q = start, where[128];
			size_t start_line = line + 1;

			/* The block runs to the next line that is exactly ``` */
			for (;;) {
				char *qe = strchr(q, '\n');

				assert_non_null(qe);
				line++;
				if (qe - q == 3 && !memcmp(q, "```", 3))
					break;
				q = qe + 1;
			}
			snprintf(where, sizeof(where), "docs/scenario-format.md:%zu", start_line);
			check_example(where, start, (size_t)(q - start), ops);
			nblocks++;
			p = q;
			continue;
		}
		if (!eol)
			break;
		p = eol + 1;
		line++;
	}
	/* Examples that only use built models must really run (at least the five
	 * that do today: paging, memory, TLB and memslot ops). */
	if (examples_run < 5) {
		print_error("want at least 5 examples that run, got %u (%u refused)\n",
			    examples_run, examples_refused);
		fail();
	}
	if (nblocks < 10) {
		print_error("want at least 10 examples (one per op group), got %zu\n", nblocks);
		fail();
	}
	for (unsigned op = 0; op < SCN_NR_OPS; op++)
		if (!ops[op]) {
			print_error("no example uses op \"%s\"\n", scn_op_name((enum scn_op)op));
			fail();
		}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_json_block_loads_and_is_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
