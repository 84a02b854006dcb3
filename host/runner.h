/* SPDX-License-Identifier: MIT */
/*
 * Runners: run a probe batch (host/batch.h) on a real or emulated CPU and
 * return its records. One interface, three runners (docs/host.md):
 *   qemu-tcg  QEMU's TCG (the default; works everywhere QEMU is installed)
 *   qemu-kvm  QEMU with -accel kvm (needs /dev/kvm)
 *   kvm       the KVM API directly on /dev/kvm, with KVM's binary stats read
 *             before and after as diagnostics
 * A runner that cannot run here says why (host_runner_available) and the
 * caller reports a skip, never a pass.
 */
#ifndef MSC_HOST_RUNNER_H
#define MSC_HOST_RUNNER_H

#include "host/batch.h"

#define HOST_STATS_MAX 64u

/* A KVM statistic read through KVM_GET_STATS_FD (kvm runner only). */
struct host_stat {
	char name[48];
	bool vcpu; /* a vCPU stat (else a VM stat) */
	u64 before, after;
};

struct host_result {
	struct hb_record *recs; /* malloc'd, nrecs of them, in command order */
	u32 nrecs;
	/* What ran: "QEMU 7.2.0 TCG -cpu max", "KVM on AMD EPYC ... (npt=1)". */
	char machine[256];
	/* Whether the guest's walks were done by the CPU (EPT/NPT on, or TCG)
	 * or by KVM's shadow walker (ept=0/npt=0). */
	bool hw_walks;
	double wall_s; /* the run, start-up included (reports only, never compared) */
	struct host_stat stats[HOST_STATS_MAX];
	u32 nstats;
};

struct host_runner {
	const char *name; /* "qemu-tcg", "qemu-kvm", "kvm" */
	/* NULL when the runner can run here, else why not ("/dev/kvm: No such
	 * file or directory", "qemu-system-x86_64 not found in PATH"). */
	const char *(*available)(void);
	/*
	 * Run @image (HB_ROM_BYTES bytes) with the serialized batch @batch of
	 * @len bytes. 0 with @out filled; MSC_EIO when the guest did not report
	 * HB_DONE_VALUE (triple fault, hang past the timeout, HB_FAIL_VALUE),
	 * with a message in @err; MSC_ENOMEM.
	 */
	int (*run)(const void *image, const void *batch, size_t len, struct host_result *out,
		   char *err, size_t errlen);
};

/* The runner named @name, or NULL. */
const struct host_runner *host_runner_find(const char *name);
/* All runners, in the order above; *n is set to their number. */
const struct host_runner *const *host_runners(size_t *n);

/* The probe image built with the project (host/probe/), read from
 * MSC_PROBE_IMAGE (the build's path) or $MSCOPE_PROBE_IMAGE; NULL with a
 * message in @err when it cannot be read. The caller frees it. */
void *host_probe_image(char *err, size_t errlen);

void host_result_free(struct host_result *r);

/* Seconds a runner waits for the guest before giving up (also bounds a hung
 * vCPU under TCG). */
#define HOST_RUN_TIMEOUT_S 120

#endif
