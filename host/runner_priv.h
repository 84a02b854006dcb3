/* SPDX-License-Identifier: MIT */
/* The runners host/runner.c lists (host/runner.h). */
#ifndef MSC_HOST_RUNNER_PRIV_H
#define MSC_HOST_RUNNER_PRIV_H

#include "host/runner.h"

extern const struct host_runner host_runner_qemu_tcg; /* host/runner_qemu.c */
extern const struct host_runner host_runner_qemu_kvm; /* host/runner_qemu.c */
extern const struct host_runner host_runner_kvm; /* host/runner_kvm.c */

#endif
