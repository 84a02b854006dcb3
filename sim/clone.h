/* SPDX-License-Identifier: MIT */
/*
 * Internal to sim/: sim_clone() with the size of the copy, for the timeline's
 * memory accounting (sim/timeline.c).
 */
#ifndef MSC_SIM_CLONE_H
#define MSC_SIM_CLONE_H

#include "sim/engine.h"

/*
 * sim_clone() (sim/view.h) that also stores in *@bytes (may be NULL) an
 * estimate of the host memory the copy holds: guest pages copied, table pages,
 * shadow pages and their chains, TLBs. 0, MSC_ENOMEM, MSC_EINVAL (@src is
 * mid-operation: a shadow page on a list outside the VM).
 */
int sim_clone_sized(const struct sim *src, struct sim **out, u64 *bytes) MSC_MUST_CHECK;

#endif
