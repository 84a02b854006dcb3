/* SPDX-License-Identifier: MIT */
/*
 * The kvm runner (host/runner_kvm.c): the probe image on a vCPU created with the
 * KVM API directly on /dev/kvm, with KVM's binary stats read before and after.
 * The runner itself is host_runner_kvm (host/runner_priv.h); this header holds
 * what tests need beyond the struct host_runner interface.
 */
#ifndef MSC_HOST_RUNNER_KVM_H
#define MSC_HOST_RUNNER_KVM_H

#include "host/runner.h"

/*
 * Seconds the kvm runner lets the guest run before its watchdog kicks the vCPU
 * out of KVM_RUN and the run fails with MSC_EIO ("timed out"); 0 restores
 * HOST_RUN_TIMEOUT_S. For tests (an image that spins); not thread-safe.
 */
void host_kvm_set_timeout_s(unsigned s);

/* KVM_CHECK_EXTENSION @cap on /dev/kvm: its value (0: absent), 0 when /dev/kvm
 * cannot be opened. Lets tests outside host/ ask without <linux/kvm.h>. */
int host_kvm_check_cap(unsigned cap);

#endif
