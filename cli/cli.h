/* SPDX-License-Identifier: MIT */
/* Verbs of the mmuscope command line; each returns the process exit code. */
#ifndef MSC_CLI_CLI_H
#define MSC_CLI_CLI_H

#define MSC_VERSION "0.1.0"

/* mmuscope tour: a guided, deterministic walk through the CPU model. */
int cli_tour(int argc, char **argv);

#endif
