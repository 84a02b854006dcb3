/* SPDX-License-Identifier: MIT */
/*
 * mmuscope host: lower scenarios to probe batches, run them on a real or
 * emulated CPU, compare what the guest observed with the simulator's prediction
 * (docs/host.md, "mmuscope host"). --dry-run prints the lowered batch only.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/err.h"
#include "host/compare.h"
#include "host/lower.h"
#include "host/runner.h"

#define CLI_SKIP 77 /* the runner cannot run here: a skip, never a pass */

struct host_opts {
	const char *runner;
	bool json, quiet, dry_run;
};

struct host_totals {
	u32 probes, match, explained, unexplained, skipped;
	u32 cmds;
	char machine[256];
};

static void step_tag(u32 step, char *buf, size_t n)
{
	if (step == LOWER_STEP_NONE)
		snprintf(buf, n, "[init]");
	else
		snprintf(buf, n, "[s%u]", step);
}

static void outcomes_text(const struct lower_pred *p, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->noutcomes && len < n; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, n - len, " | ");
		if (len < n)
			len += (size_t)host_lower_format_outcome(&p->outcomes[i], buf + len,
								 n - len);
	}
}

/* What a prediction is about: "access read va 0x1000 cpl 3", "pte 0x2000",
 * "mode ...". */
static void subject_text(const struct lower_result *lr, const struct lower_pred *p, char *buf,
			 size_t n)
{
	const struct hb_cmd *c = &lr->batch.cmds[p->cmd];

	switch (p->op) {
	case HB_OP_ACCESS:
		snprintf(buf, n, "access %s va 0x%llx cpl %u",
			 c->kind == HB_KIND_WRITE   ? "write"
			 : c->kind == HB_KIND_FETCH ? "fetch"
						    : "read",
			 (unsigned long long)c->a, c->cpl);
		break;
	case HB_OP_READ:
		snprintf(buf, n, "%s 0x%llx", p->level ? "pte" : "mem", (unsigned long long)p->gpa);
		break;
	default:
		host_lower_format_cmd(c, buf, n);
		break;
	}
}

static void predicted_text(const struct lower_pred *p, char *buf, size_t n)
{
	if (p->op == HB_OP_READ) {
		if (p->mask)
			snprintf(buf, n, "0x%llx (bits 0x%llx may differ)",
				 (unsigned long long)p->value, (unsigned long long)p->mask);
		else
			snprintf(buf, n, "0x%llx", (unsigned long long)p->value);
	} else if (p->op == HB_OP_ACCESS ||
		   ((p->op == HB_OP_SMI || p->op == HB_OP_RSM) && p->noutcomes)) {
		outcomes_text(p, buf, n);
	} else {
		snprintf(buf, n, "ok");
	}
}

static void observed_text(const struct lower_result *lr, const struct lower_pred *p,
			  const struct hb_record *r, char *buf, size_t n)
{
	struct lower_outcome o;

	if (!r) {
		snprintf(buf, n, "nothing");
		return;
	}
	if (r->status != HB_ST_OK) {
		snprintf(buf, n, "%s vector %u", hb_status_name(r->status), r->vector);
		return;
	}
	if (!p || p->op == HB_OP_READ) {
		snprintf(buf, n, "0x%llx", (unsigned long long)r->value);
		return;
	}
	if (p->op != HB_OP_ACCESS && p->op != HB_OP_SMI && p->op != HB_OP_RSM) {
		snprintf(buf, n, "ok");
		return;
	}
	if (p->op != HB_OP_ACCESS && r->vector == HB_NO_VECTOR) {
		snprintf(buf, n, "ok"); /* an SMI taken, an RSM done */
		return;
	}
	if (r->rflags & HB_RF_EXIT) {
		snprintf(buf, n, "VM exit 0x%llx exitinfo1 0x%llx", (unsigned long long)r->value,
			 (unsigned long long)r->cr2);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.npf = (r->rflags & HB_RF_NPF) != 0;
	o.exitinfo1 = r->value;
	o.exitinfo2 = r->cr2;
	o.vector = r->vector;
	o.error_code = r->error_code;
	o.cr2 = r->cr2;
	o.value = r->value;
	/* Show a value where the prediction has one. */
	for (unsigned i = 0; i < p->noutcomes; i++)
		o.has_value |= p->outcomes[i].has_value && r->vector == HB_NO_VECTOR;
	if (o.has_value && lr->batch.cmds[p->cmd].size < 8)
		o.value &= (1ULL << (8 * lr->batch.cmds[p->cmd].size)) - 1;
	host_lower_format_outcome(&o, buf, n);
}

static void verdict_text(const struct cmp_item *it, char *buf, size_t n)
{
	switch (it->v) {
	case CMP_MATCH:
		snprintf(buf, n, "match");
		break;
	case CMP_EXPLAINED:
		snprintf(buf, n, "explained (%s: %s)", it->known->id, it->known->desc);
		break;
	case CMP_UNEXPLAINED:
		snprintf(buf, n, "UNEXPLAINED%s%s%s", it->why[0] ? " (" : "", it->why,
			 it->why[0] ? ")" : "");
		break;
	case CMP_SKIPPED:
		snprintf(buf, n, "skipped: %s", it->why);
		break;
	}
}

static void json_str(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "\"%s\":\"", key);
	for (const char *s = val; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fprintf(f, "\"%s", comma ? "," : "");
}

static void print_note(const char *path, const struct lower_note *nt, const struct host_opts *o)
{
	char tag[24];

	step_tag(nt->step, tag, sizeof(tag));
	if (o->json) {
		printf("{");
		json_str(stdout, "file", path, true);
		printf("\"step\":%u,", nt->step);
		json_str(stdout, "note", nt->text, false);
		printf("}\n");
	} else if (!o->quiet) {
		printf("%s %s\n", tag, nt->text);
	}
}

/* One compared item: a line (or a JSON object). */
static void print_item(const char *path, const struct lower_result *lr, const struct cmp_item *it,
		       const struct host_opts *o)
{
	const struct lower_pred *p = it->pred == UINT32_MAX ? NULL : &lr->preds[it->pred];
	char tag[24], subj[160], pred[320], obs[160], verdict[300];

	if (o->quiet && it->v != CMP_UNEXPLAINED)
		return;
	step_tag(p ? p->step : (it->rec ? it->rec->id : LOWER_STEP_NONE), tag, sizeof(tag));
	if (p) {
		subject_text(lr, p, subj, sizeof(subj));
		predicted_text(p, pred, sizeof(pred));
	} else {
		snprintf(subj, sizeof(subj), "record for command %u", it->rec ? it->rec->cmd : 0);
		snprintf(pred, sizeof(pred), "no record");
	}
	observed_text(lr, p, it->rec, obs, sizeof(obs));
	verdict_text(it, verdict, sizeof(verdict));
	if (o->json) {
		printf("{");
		json_str(stdout, "file", path, true);
		printf("\"step\":%u,", p ? p->step : LOWER_STEP_NONE);
		json_str(stdout, "probe", subj, true);
		json_str(stdout, "predicted", pred, true);
		json_str(stdout, "observed", obs, true);
		json_str(stdout, "verdict", host_verdict_name(it->v), true);
		json_str(stdout, "known", it->known ? it->known->id : "", true);
		json_str(stdout, "why", it->why, false);
		printf("}\n");
		return;
	}
	if (p && p->op == HB_OP_READ)
		printf("%s %s predicted %s observed %s %s\n", tag, subj, pred, obs, verdict);
	else
		printf("%s %s: predicted %s; observed %s %s\n", tag, subj, pred, obs, verdict);
}

/* --dry-run: the batch, one command a line, with each record's prediction. */
static void print_dry(const char *path, const struct lower_result *lr)
{
	u32 pi = 0, ni = 0, nskip = 0;
	char cmd[200], pred[320], tag[24];

	for (u32 i = 0; i < lr->nnotes; i++)
		nskip += lr->notes[i].skip;
	printf("# %s: %u commands, %u records, %u skips\n", path, lr->batch.ncmds, lr->npreds,
	       nskip);
	for (u32 c = 0; c < lr->batch.ncmds; c++) {
		const struct hb_cmd *hc = &lr->batch.cmds[c];

		while (ni < lr->nnotes && lr->notes[ni].before_cmd <= c) {
			step_tag(lr->notes[ni].step, tag, sizeof(tag));
			printf("%s %s\n", tag, lr->notes[ni].text);
			ni++;
		}
		host_lower_format_cmd(hc, cmd, sizeof(cmd));
		step_tag(hc->id, tag, sizeof(tag));
		printf("c%u %s %s", c, tag, cmd);
		if (pi < lr->npreds && lr->preds[pi].cmd == c) {
			predicted_text(&lr->preds[pi], pred, sizeof(pred));
			printf(" -> %s", pred);
			pi++;
		}
		printf("\n");
	}
	for (; ni < lr->nnotes; ni++) {
		step_tag(lr->notes[ni].step, tag, sizeof(tag));
		printf("%s %s\n", tag, lr->notes[ni].text);
	}
}

/* Run one lowered scenario and print the comparison. CLI_OK, CLI_FAIL (runner
 * error). */
static int run_lowered(const char *path, const struct lower_result *lr,
		       const struct host_runner *runner, const void *image,
		       const struct host_opts *o, struct host_totals *t)
{
	size_t len = sizeof(struct hb_header) + (size_t)lr->batch.ncmds * sizeof(struct hb_cmd);
	void *buf = malloc(len);
	struct host_result res;
	struct cmp_summary sum;
	struct cmp_item *items = NULL;
	char err[512] = "";
	u32 nitems = 0, ni = 0;
	int r, ret = CLI_FAIL;

	memset(&res, 0, sizeof(res));
	if (!buf || hb_serialize(&lr->batch, buf, len) != len) {
		fprintf(stderr, "mmuscope host: %s: cannot serialize the batch\n", path);
		goto out;
	}
	r = runner->run(image, buf, len, &res, err, sizeof(err));
	if (r) {
		fflush(stdout);
		fprintf(stderr, "mmuscope host: %s: runner %s failed: %s%s%s\n", path, runner->name,
			msc_strerror(r), err[0] ? ": " : "", err);
		t->unexplained++;
		goto out;
	}
	snprintf(t->machine, sizeof(t->machine), "%s", res.machine);
	items = calloc((size_t)lr->npreds + res.nrecs + 1, sizeof(*items));
	if (!items) {
		fprintf(stderr, "mmuscope host: out of memory\n");
		goto out;
	}
	host_compare(lr, res.recs, res.nrecs, runner->name, items, &nitems, &sum);
	for (u32 i = 0; i < nitems; i++) {
		const struct cmp_item *it = &items[i];
		u32 cmd = it->pred == UINT32_MAX ? (it->rec ? it->rec->cmd : 0)
						 : lr->preds[it->pred].cmd;

		while (ni < lr->nnotes && lr->notes[ni].before_cmd <= cmd)
			print_note(path, &lr->notes[ni++], o);
		print_item(path, lr, it, o);
	}
	while (ni < lr->nnotes)
		print_note(path, &lr->notes[ni++], o);
	t->probes += nitems;
	t->match += sum.match;
	t->explained += sum.explained;
	t->unexplained += sum.unexplained;
	t->skipped += sum.skipped;
	ret = CLI_OK;
out:
	free(items);
	free(buf);
	host_result_free(&res);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: mmuscope host [--runner qemu-tcg|qemu-kvm|kvm] "
			"[--json] [--quiet] "
			"[--dry-run] FILE...\n");
	return CLI_USAGE;
}

int cli_host(int argc, char **argv)
{
	struct host_opts o = {.runner = "qemu-tcg"};
	struct host_totals t;
	const struct host_runner *runner = NULL;
	const char **files = calloc((size_t)argc, sizeof(*files));
	void *image = NULL;
	int nfiles = 0, worst = CLI_OK;

	memset(&t, 0, sizeof(t));
	if (!files) {
		fprintf(stderr, "mmuscope host: out of memory\n");
		return CLI_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			files[nfiles++] = a;
		} else if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (!strcmp(a, "--dry-run")) {
			o.dry_run = true;
		} else if (!strcmp(a, "--runner") || !strncmp(a, "--runner=", 9)) {
			o.runner = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!o.runner) {
				free(files);
				return usage();
			}
		} else {
			fprintf(stderr, "mmuscope host: unknown option '%s'\n", a);
			free(files);
			return usage();
		}
	}
	if (!nfiles) {
		free(files);
		return usage();
	}
	if (!o.dry_run) {
		const char *why;
		char err[512] = "";

		runner = host_runner_find(o.runner);
		if (!runner) {
			fprintf(stderr, "mmuscope host: unknown runner '%s'\n", o.runner);
			free(files);
			return usage();
		}
		why = runner->available();
		if (!why) {
			image = host_probe_image(err, sizeof(err));
			if (!image)
				why = err;
		}
		if (why) {
			fflush(stdout);
			fprintf(stderr, "mmuscope host: runner %s unavailable: %s\n", o.runner,
				why);
			free(files);
			return CLI_SKIP;
		}
	}
	for (int i = 0; i < nfiles; i++) {
		struct scenario s;
		struct scn_error err;
		struct lower_result lr;
		int r;

		if (cli_load(files[i], &s)) {
			worst = CLI_USAGE;
			continue;
		}
		memset(&err, 0, sizeof(err));
		r = host_lower(&s, (u32)i, &lr, &err);
		if (r) {
			if (err.msg[0])
				cli_print_error(&err);
			else
				fprintf(stderr, "mmuscope host: %s: %s\n", files[i],
					msc_strerror(r));
			worst = CLI_USAGE;
		} else if (o.dry_run) {
			print_dry(files[i], &lr);
		} else if (lr.skipped) {
			t.skipped++;
			if (!o.quiet && !o.json)
				printf("%s: skipped: %s\n", files[i], lr.why);
		} else {
			if (!o.quiet && !o.json)
				printf("%s:\n", files[i]);
			if (run_lowered(files[i], &lr, runner, image, &o, &t) && worst < CLI_FAIL)
				worst = CLI_FAIL;
			for (u32 k = 0; k < lr.nnotes; k++)
				t.skipped += lr.notes[k].skip;
		}
		host_lower_free(&lr);
		scn_free(&s);
	}
	if (!o.dry_run) {
		if (o.json) {
			printf("{\"probes\":%u,\"match\":%u,\"explained\":%u,\"unexplained\":%u,"
			       "\"skipped\":%u,",
			       t.probes, t.match, t.explained, t.unexplained, t.skipped);
			json_str(stdout, "runner", o.runner, true);
			json_str(stdout, "machine", t.machine, false);
			printf("}\n");
		} else {
			printf("host: %u probes, %u match, %u explained, %u unexplained, %u "
			       "skipped "
			       "(runner %s: %s)\n",
			       t.probes, t.match, t.explained, t.unexplained, t.skipped, o.runner,
			       t.machine[0] ? t.machine : "nothing ran");
		}
		if (t.unexplained && worst < CLI_FAIL)
			worst = CLI_FAIL;
	}
	fflush(stdout);
	free(image);
	free(files);
	return worst;
}
