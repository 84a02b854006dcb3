/* SPDX-License-Identifier: MIT */
/* Verbs of the mmuscope command line (each returns the process exit code) and the
 * few presentation helpers they share (cli/common.c). */
#ifndef MSC_CLI_CLI_H
#define MSC_CLI_CLI_H

#include <stdio.h>

#include "sim/engine.h"
#include "sim/loader.h"
#include "sim/scenario.h"

#define MSC_VERSION "0.1.0"

/* Exit codes shared by every verb. */
#define CLI_OK 0
#define CLI_FAIL 1 /* expectations failed, a listed file is invalid, a write failed */
#define CLI_USAGE 2 /* invalid input or usage */

/* mmuscope tour: a guided, deterministic walk through the CPU model. */
int cli_tour(int argc, char **argv);
/* mmuscope run [--trace] [--json] [--stats] [--until N] [--quiet] FILE... */
int cli_run(int argc, char **argv);
/* mmuscope explain FILE --step N */
int cli_explain(int argc, char **argv);
/* mmuscope fmt FILE [-o OUT | -i] */
int cli_fmt(int argc, char **argv);
/* mmuscope soak --seed S --steps N [--vcpus V] (cli/soak.c) */
int cli_soak(int argc, char **argv);
/* mmuscope list [--dir DIR] */
int cli_list(int argc, char **argv);

/* Print @e as "file:line:col: /path: message" on stderr (stdout flushed first). */
void cli_print_error(const struct scn_error *e);

/*
 * Load @path into @s. Returns CLI_OK, or prints the positioned error and returns
 * CLI_USAGE (an unreadable or invalid file is invalid input).
 */
int cli_load(const char *path, struct scenario *s);

/* Parse a decimal u32 ("--until 3"); false on anything else. */
bool cli_parse_u32(const char *str, u32 *out);

/* @val of register @reg as flag names, as a scenario writes it ("PE|ET|PG", from
 * cpu/regnames.h); registers without named bits in hex. */
void cli_reg_flags(enum scn_reg reg, u64 val, char *buf, size_t n);

/* Name of a paging mode in words ("4-level paging"). */
const char *cli_paging_name(enum cpu_paging_mode mode);

/* The counters as "name value" lines, each prefixed by @indent. */
void cli_print_counters(FILE *f, const struct sim_counters *c, const char *indent);

/* One vCPU's state: registers decoded, paging mode, SMM/guest mode, TLB size. */
void cli_print_vcpu(FILE *f, u16 idx, const struct sim_vcpu_snapshot *v);

/* mmuscope role compute|decode: KVM's CPU role and root roles (cli/role.c). */
int cli_role(int argc, char **argv);

/* mmuscope host [--runner R] [--json] [--quiet] [--dry-run] FILE... (cli/host.c): exit 0, 1, 2
 * or 77 when the runner is unavailable. */
int cli_host(int argc, char **argv);
/* mmuscope diff --random N --seed S [--shard K/M] ... (cli/diff.c): a differential
 * campaign; exit 0, 1 (an unexplained divergence, written out), 2 or 77. */
int cli_diff(int argc, char **argv);

/* mmuscope render FILE --step N -o OUT.png [...] (cli/render.c; built with viz/): the GUI's
 * view of one step as a PNG, headless. */
int cli_render(int argc, char **argv);
/* mmuscope gui FILE [--size WxH] (cli/gui.c; built with viz/): the interactive window. */
int cli_gui(int argc, char **argv);

#endif
