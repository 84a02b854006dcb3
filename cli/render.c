/* SPDX-License-Identifier: MIT */
/*
 * mmuscope render FILE --step N -o OUT.png [--size WxH] [...]: the GUI's view
 * of one step, drawn headless (SDL's software renderer) to a PNG. Bad input is
 * a positioned error, exit 2, and no file is written (a temporary file is
 * renamed into place only when complete).
 */
#include "cli/cli.h"

#ifdef MSC_HAVE_VIZ

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/err.h"
#include "viz/render.h"
#include "viz/session.h"

static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmuscope render: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: mmuscope render FILE --step N -o OUT.png [--size WxH] "
			"[--vcpu V] [--zoom PCT] [--bucket B] [--expand-sp HPA]... "
			"[--expand-gpt ADDR]... [--hide PANEL,...] [--scroll PANEL=N]... "
			"[--drawlist FILE|-]\n");
	return CLI_USAGE;
}

/* Decimal or 0x hex. */
static bool parse_u64(const char *s, u64 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_size(const char *s, s32 *w, s32 *h)
{
	unsigned a, b;
	char tail;

	if (!s || sscanf(s, "%ux%u%c", &a, &b, &tail) != 2 || a < 320 || b < 200 || a > 8192 ||
	    b > 8192)
		return false;
	*w = (s32)a;
	*h = (s32)b;
	return true;
}

static int panel_by_name(const char *s, size_t len)
{
	for (int p = 0; p < VIZ_P_COUNT; p++) {
		const char *n = viz_panel_name((enum viz_panel)p);

		if (strlen(n) == len && !strncmp(n, s, len))
			return p;
	}
	return -1;
}

struct render_opts {
	const char *file, *out, *drawlist;
	bool have_step;
	u32 step;
	struct viz_ui ui;
};

static int parse(int argc, char **argv, struct render_opts *o)
{
	s32 w = 1280, h = 800;

	viz_ui_init(&o->ui, w, h);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		u64 x;

		if (a[0] != '-' || !a[1]) {
			if (o->file)
				return usage_err("one scenario file only (got '%s' too)", a);
			o->file = a;
			continue;
		}
		if (!v)
			return usage_err("%s needs a value", a);
		i++;
		if (!strcmp(a, "--step")) {
			if (!cli_parse_u32(v, &o->step))
				return usage_err("--step: expected a step number, got '%s'", v);
			o->have_step = true;
		} else if (!strcmp(a, "-o")) {
			o->out = v;
		} else if (!strcmp(a, "--size")) {
			if (!parse_size(v, &w, &h))
				return usage_err(
					"--size: expected WxH (320x200 .. 8192x8192), got '%s'", v);
			o->ui.w = w;
			o->ui.h = h;
		} else if (!strcmp(a, "--vcpu")) {
			if (!parse_u64(v, &x) || x >= SCN_MAX_VCPUS)
				return usage_err("--vcpu: expected a vCPU index, got '%s'", v);
			o->ui.vcpu = (u16)x;
		} else if (!strcmp(a, "--zoom")) {
			if (!parse_u64(v, &x) || x < 50 || x > 300)
				return usage_err("--zoom: expected a percentage 50..300, got '%s'",
						 v);
			o->ui.zoom = (u16)x;
		} else if (!strcmp(a, "--bucket")) {
			if (!parse_u64(v, &x) || x >= SIM_VIEW_HASH_BUCKETS)
				return usage_err("--bucket: expected 0..4095, got '%s'", v);
			o->ui.sel_bucket = (s32)x;
		} else if (!strcmp(a, "--expand-sp") || !strcmp(a, "--expand-gpt")) {
			bool sp = !strcmp(a, "--expand-sp");

			if (!parse_u64(v, &x))
				return usage_err("expected an address, got '%s'", v);
			if (!viz_ui_toggle(sp ? o->ui.sp_toggle : o->ui.gpt_toggle,
					   sp ? &o->ui.nsp : &o->ui.ngpt, x))
				return usage_err("too many nodes toggled (at '%s')", v);
		} else if (!strcmp(a, "--hide")) {
			const char *p = v;

			while (*p) {
				size_t len = strcspn(p, ",");
				int pn = panel_by_name(p, len);

				if (pn < 0)
					return usage_err(
						"--hide: unknown panel in '%s' (cpu steps guest "
						"shadow hash roots tlb stats events keys)",
						v);
				o->ui.panels &= ~(1u << pn);
				p += len;
				if (*p)
					p++;
			}
		} else if (!strcmp(a, "--scroll")) {
			const char *eq = strchr(v, '=');
			int pn = eq ? panel_by_name(v, (size_t)(eq - v)) : -1;

			if (pn < 0 || !parse_u64(eq + 1, &x) || x > 1000000)
				return usage_err("--scroll: expected PANEL=ROWS, got '%s'", v);
			o->ui.scroll[pn] = (s32)x;
		} else if (!strcmp(a, "--drawlist")) {
			o->drawlist = v;
		} else {
			return usage_err("unknown option '%s'", a);
		}
	}
	if (!o->file)
		return usage_err("no scenario file");
	if (!o->have_step)
		return usage_err("--step N is required");
	if (!o->out && !o->drawlist)
		return usage_err("-o OUT.png (or --drawlist) is required");
	return 0;
}

static int write_drawlist(const struct viz_dl *dl, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int ret;

	if (!f) {
		fprintf(stderr, "mmuscope render: %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	ret = viz_dl_write(dl, f);
	if (f != stdout && fclose(f))
		ret = MSC_EIO;
	if (ret) {
		fprintf(stderr, "mmuscope render: %s: write failed\n", path);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* Render to a temporary file beside @out, then rename it into place. */
static int write_png(const struct viz_dl *dl, const struct viz_ui *ui, const char *out)
{
	struct viz_render *vr = NULL;
	char why[512], *tmp;
	size_t len = strlen(out) + 16;
	int fd, ret;

	ret = viz_render_create(&vr, ui->w, ui->h, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "mmuscope render: %s\n", why);
		return CLI_USAGE;
	}
	if (viz_render_draw(vr, dl)) {
		fprintf(stderr, "mmuscope render: drawing failed\n");
		viz_render_destroy(vr);
		return CLI_FAIL;
	}
	tmp = malloc(len);
	if (!tmp) {
		viz_render_destroy(vr);
		return CLI_FAIL;
	}
	snprintf(tmp, len, "%s.XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "mmuscope render: %s: %s\n", out, strerror(errno));
		free(tmp);
		viz_render_destroy(vr);
		return CLI_FAIL;
	}
	fchmod(fd, 0644);
	close(fd);
	ret = viz_render_save_png(vr, tmp, why, sizeof(why));
	viz_render_destroy(vr);
	if (ret || rename(tmp, out)) {
		fprintf(stderr, "mmuscope render: %s: %s\n", out, ret ? why : strerror(errno));
		unlink(tmp);
		free(tmp);
		return CLI_FAIL;
	}
	free(tmp);
	return CLI_OK;
}

int cli_render(int argc, char **argv)
{
	struct render_opts o = {0};
	struct viz_session *vs = NULL;
	struct scn_error err = {0};
	struct viz_dl dl;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret;
	ret = viz_session_open(&vs, o.file, &err);
	if (ret) {
		if (err.msg[0])
			cli_print_error(&err);
		else
			fprintf(stderr, "%s: %s\n", o.file, msc_strerror(ret));
		return ret == MSC_ENOMEM ? CLI_FAIL : CLI_USAGE;
	}
	if (o.step > vs->last) {
		fprintf(stderr, "%s: --step %u: the scenario runs %u step%s%s\n", o.file, o.step,
			vs->last, vs->last == 1 ? "" : "s",
			vs->rec.err ? " (it stops at an error there)" : "");
		viz_session_destroy(vs);
		return CLI_USAGE;
	}
	if (o.ui.vcpu >= vs->scn.nvcpus) {
		fprintf(stderr, "%s: --vcpu %u: the scenario has %u vCPU%s\n", o.file, o.ui.vcpu,
			vs->scn.nvcpus, vs->scn.nvcpus == 1 ? "" : "s");
		viz_session_destroy(vs);
		return CLI_USAGE;
	}
	ret = viz_session_seek(vs, o.step, &err);
	if (ret) {
		cli_print_error(&err);
		viz_session_destroy(vs);
		return CLI_USAGE;
	}
	viz_dl_init(&dl);
	viz_layout(&vs->model, &o.ui, &dl);
	ret = dl.oom ? CLI_FAIL : CLI_OK;
	if (!ret && o.drawlist)
		ret = write_drawlist(&dl, o.drawlist);
	if (!ret && o.out)
		ret = write_png(&dl, &o.ui, o.out);
	viz_dl_free(&dl);
	viz_session_destroy(vs);
	return ret;
}

#else
/* Built without viz/ (viz/viz.cmake not included): the verb is absent. */
typedef int msc_cli_render_unused;
#endif
