/* SPDX-License-Identifier: MIT */
/*
 * The kvm runner: the probe image on one vCPU created with the KVM API directly
 * on /dev/kvm (docs/host.md, "The kvm runner"), with KVM's binary statistics
 * read before and after the run as diagnostics. The run loop follows kvmtool's
 * kvm-cpu.c: one switch on kvm_run.exit_reason, -errno + goto cleanup.
 */
#include "host/runner_kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "cpu/err.h"
#include "host/runner_priv.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/*
 * Guest-physical map (host/batch.h). RAM is one anonymous mapping of
 * HB_RAM_BYTES; the legacy hole [HB_HOLE_LO, HB_HOLE_HI) is left out of it as
 * on a PC, except that the image is aliased read-only at 0xF0000 (QEMU maps
 * the last 64 KiB of -bios there) as well as at HB_ROM_PA below 4 GiB.
 */
#define KVM_BIOS_ALIAS_PA (HB_HOLE_HI - HB_ROM_BYTES) /* 0xF0000 */
/* KVM_SET_TSS_ADDR: three pages no slot uses, below the ROM (QEMU's choice). */
#define KVM_TSS_PA 0xFEFFD000ULL

enum {
	SLOT_LOW, /* [0, HB_HOLE_LO) */
	SLOT_HIGH, /* [HB_HOLE_HI, HB_RAM_BYTES) */
	SLOT_BIOS, /* the image at 0xF0000 */
	SLOT_ROM, /* the image at HB_ROM_PA */
};

#define PORT_SYSCTL_A 0x92
#define SYSCTL_RESET 0x01
#define SYSCTL_A20 0x02

#define CPUID_MAX_ENTRIES 4096u
/* The watchdog re-fires at this period after its first expiry, so a kick that
 * lands just before KVM_RUN is entered cannot be lost. */
#define WATCHDOG_REPEAT_NS 50000000L

static unsigned run_timeout_s = HOST_RUN_TIMEOUT_S;

void host_kvm_set_timeout_s(unsigned s)
{
	run_timeout_s = s ? s : HOST_RUN_TIMEOUT_S;
}

/* The MMU-related statistics recorded into host_result.stats, in this order;
 * those the kernel does not export are left out. */
static const char *const vm_stat_names[] = {
	"pages_4k",	     "pages_2m",       "pages_1g",	  "mmu_shadow_zapped",
	"mmu_pte_write",     "mmu_pde_zapped", "mmu_flooded",	  "mmu_recycled",
	"mmu_cache_miss",    "mmu_unsync",     "nx_lpage_splits", "max_mmu_page_hash_collisions",
	"max_mmu_rmap_size",
};
static const char *const vcpu_stat_names[] = {
	"pf_taken", "pf_fixed",	 "pf_emulate", "pf_spurious",	       "pf_fast",
	"pf_guest", "tlb_flush", "invlpg",     "pf_mmio_spte_created", "exits",
};

struct kvm_ctx {
	int kvm_fd, vm_fd, vcpu_fd;
	int stats_fd[2]; /* VM, vCPU; -1 without KVM_CAP_BINARY_STATS_FD */
	u8 *ram; /* HB_RAM_BYTES, guest-physical 0 */
	u8 *rom; /* HB_ROM_BYTES */
	struct kvm_run *run;
	size_t run_len;
	struct kvm_cpuid2 *cpuid;
	/* out->stats[i] is read from stat_fd[i] at stat_off[i]. */
	int stat_fd[HOST_STATS_MAX];
	u64 stat_off[HOST_STATS_MAX];
	/* The watchdog (timer_create + a signal directed at this thread). */
	bool have_act, have_mask, have_timer;
	struct sigaction old_act;
	sigset_t old_mask;
	timer_t timer;
};

static volatile sig_atomic_t watchdog_fired;
static struct kvm_run *volatile watchdog_run;

static void watchdog_handler(int sig)
{
	struct kvm_run *run = watchdog_run;

	(void)sig;
	watchdog_fired = 1;
	/* KVM_RUN entered after this returns at once with -EINTR (KVM API
	 * documentation, immediate_exit); one in progress returns -EINTR too. */
	if (run)
		run->immediate_exit = 1;
}

static int watchdog_signal(void)
{
	return SIGRTMIN + 2;
}

static void __attribute__((format(printf, 3, 4)))
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ioctl() that retries on EINTR; not for KVM_RUN, whose EINTR is the watchdog's kick. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static int check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int host_kvm_check_cap(unsigned cap)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return 0;
	r = check_cap(fd, (long)cap);
	close(fd);
	return r;
}

static char unavailable_why[128];

static const char *kvm_available(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int ver;

	if (fd < 0) {
		snprintf(unavailable_why, sizeof(unavailable_why), "/dev/kvm: %s", strerror(errno));
		return unavailable_why;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver < 0) {
		snprintf(unavailable_why, sizeof(unavailable_why),
			 "/dev/kvm: KVM_GET_API_VERSION: %s", strerror(errno));
		close(fd);
		return unavailable_why;
	}
	if (ver != KVM_API_VERSION) {
		snprintf(unavailable_why, sizeof(unavailable_why), "KVM API version %d, need %d",
			 ver, KVM_API_VERSION);
		close(fd);
		return unavailable_why;
	}
	if (!check_cap(fd, KVM_CAP_USER_MEMORY)) {
		snprintf(unavailable_why, sizeof(unavailable_why),
			 "/dev/kvm lacks KVM_CAP_USER_MEMORY");
		close(fd);
		return unavailable_why;
	}
	close(fd);
	return NULL;
}

/* ---- the machine description ---------------------------------------------- */

/* The first character of a module parameter ("Y", "N", "1", "0"), or 0. */
static char read_param(const char *path)
{
	char buf[8] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0];
}

static void cpu_model(char *buf, size_t n)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, n, "an unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !p)
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, n, "%s", p);
		break;
	}
	fclose(f);
}

/* out->machine and out->hw_walks: the guest's walks are done by the CPU only
 * with EPT (Intel) or NPT (AMD) on; otherwise KVM's shadow MMU answers them. */
static void describe_machine(struct host_result *out)
{
	struct utsname u;
	char model[96], walks[64];
	char v;

	cpu_model(model, sizeof(model));
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "(unknown release)");
	out->hw_walks = false;
	if ((v = read_param("/sys/module/kvm_intel/parameters/ept"))) {
		out->hw_walks = v == 'Y' || v == '1';
		snprintf(walks, sizeof(walks), "ept=%c", v);
	} else if ((v = read_param("/sys/module/kvm_amd/parameters/npt"))) {
		out->hw_walks = v == 'Y' || v == '1';
		snprintf(walks, sizeof(walks), "npt=%c", v);
	} else if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(walks, sizeof(walks), "kvm_pvm, no ept/npt");
	} else {
		snprintf(walks, sizeof(walks), "no ept/npt parameter");
	}
	snprintf(out->machine, sizeof(out->machine), "KVM %.40s on %.56s (%.24s%s)", u.release,
		 model, walks, out->hw_walks ? "" : ": shadow paging walks");
}

/* ---- binary statistics (KVM_GET_STATS_FD) ------------------------------------- */

/*
 * Find @names in the stats file @fd (struct kvm_stats_header, then num_desc
 * descriptors of sizeof(struct kvm_stats_desc) + name_size bytes at
 * desc_offset, the u64 data at data_offset + desc->offset) and append those
 * present to out->stats. A malformed file adds nothing.
 */
static void stats_find(struct kvm_ctx *c, struct host_result *out, int fd, bool vcpu,
		       const char *const *names, size_t nnames)
{
	struct kvm_stats_header h;
	size_t dsize, total;
	u8 *descs = NULL;

	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return;
	if (!h.num_desc || h.num_desc > 65536 || !h.name_size || h.name_size > 4096)
		return;
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	total = dsize * h.num_desc;
	descs = malloc(total);
	if (!descs)
		return;
	if (pread(fd, descs, total, h.desc_offset) != (ssize_t)total)
		goto out;
	for (size_t i = 0; i < nnames; i++) {
		for (u32 d = 0; d < h.num_desc; d++) {
			struct kvm_stats_desc *sd = (struct kvm_stats_desc *)(descs + d * dsize);
			struct host_stat *st;

			if (strnlen(sd->name, h.name_size) == h.name_size ||
			    strcmp(sd->name, names[i]))
				continue;
			if (sd->size < 1 || out->nstats >= HOST_STATS_MAX)
				break;
			st = &out->stats[out->nstats];
			snprintf(st->name, sizeof(st->name), "%s", names[i]);
			st->vcpu = vcpu;
			c->stat_fd[out->nstats] = fd;
			c->stat_off[out->nstats] = (u64)h.data_offset + sd->offset;
			out->nstats++;
			break;
		}
	}
out:
	free(descs);
}

/* Read the first value of every stat found into before (@after false) or after. */
static void stats_read(const struct kvm_ctx *c, struct host_result *out, bool after)
{
	for (u32 i = 0; i < out->nstats; i++) {
		u64 v = 0;

		if (pread(c->stat_fd[i], &v, sizeof(v), (off_t)c->stat_off[i]) !=
		    (ssize_t)sizeof(v))
			v = 0;
		if (after)
			out->stats[i].after = v;
		else
			out->stats[i].before = v;
	}
}

static void stats_open(struct kvm_ctx *c, struct host_result *out)
{
	if (!check_cap(c->kvm_fd, KVM_CAP_BINARY_STATS_FD))
		return;
	c->stats_fd[0] = ioctl(c->vm_fd, KVM_GET_STATS_FD, 0);
	c->stats_fd[1] = ioctl(c->vcpu_fd, KVM_GET_STATS_FD, 0);
	if (c->stats_fd[0] >= 0)
		stats_find(c, out, c->stats_fd[0], false, vm_stat_names,
			   MSC_ARRAY_SIZE(vm_stat_names));
	if (c->stats_fd[1] >= 0)
		stats_find(c, out, c->stats_fd[1], true, vcpu_stat_names,
			   MSC_ARRAY_SIZE(vcpu_stat_names));
}

/* ---- set-up ------------------------------------------------------------------ */

static MSC_MUST_CHECK int set_slot(struct kvm_ctx *c, u32 slot, u32 flags, gpa_t gpa, u64 size,
				   void *hva, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)(uintptr_t)hva,
	};

	if (xioctl(c->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		say(err, errlen, "KVM_SET_USER_MEMORY_REGION slot %u [%#llx, %#llx): %s", slot,
		    (unsigned long long)gpa, (unsigned long long)(gpa + size), strerror(errno));
		return MSC_EIO;
	}
	return 0;
}

static MSC_MUST_CHECK int map_memory(struct kvm_ctx *c, const void *image, char *err, size_t errlen)
{
	u32 rom_flags = 0;
	int rc;

	c->ram = mmap(NULL, HB_RAM_BYTES, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->ram == MAP_FAILED) {
		c->ram = NULL;
		say(err, errlen, "mmap of %llu MiB of guest RAM: %s", HB_RAM_BYTES >> 20,
		    strerror(errno));
		return MSC_ENOMEM;
	}
	c->rom =
		mmap(NULL, HB_ROM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->rom == MAP_FAILED) {
		c->rom = NULL;
		say(err, errlen, "mmap of the ROM: %s", strerror(errno));
		return MSC_ENOMEM;
	}
	memcpy(c->rom, image, HB_ROM_BYTES);
	/* Without KVM_CAP_READONLY_MEM the ROM is writable by the guest; the
	 * image never writes to itself, so this only loses a guard. */
	if (check_cap(c->kvm_fd, KVM_CAP_READONLY_MEM))
		rom_flags = KVM_MEM_READONLY;
	rc = set_slot(c, SLOT_LOW, 0, 0, HB_HOLE_LO, c->ram, err, errlen);
	if (!rc)
		rc = set_slot(c, SLOT_HIGH, 0, HB_HOLE_HI, HB_RAM_BYTES - HB_HOLE_HI,
			      c->ram + HB_HOLE_HI, err, errlen);
	if (!rc)
		rc = set_slot(c, SLOT_BIOS, rom_flags, KVM_BIOS_ALIAS_PA, HB_ROM_BYTES, c->rom, err,
			      errlen);
	if (!rc)
		rc = set_slot(c, SLOT_ROM, rom_flags, HB_ROM_PA, HB_ROM_BYTES, c->rom, err, errlen);
	return rc;
}

/* KVM_GET_SUPPORTED_CPUID -> KVM_SET_CPUID2, before any CR4/EFER state: KVM
 * refuses CR4 and EFER bits the guest's CPUID does not report. */
static MSC_MUST_CHECK int set_cpuid(struct kvm_ctx *c, char *err, size_t errlen)
{
	for (u32 n = 64;; n *= 2) {
		free(c->cpuid);
		c->cpuid = calloc(1, sizeof(*c->cpuid) + n * sizeof(c->cpuid->entries[0]));
		if (!c->cpuid)
			return MSC_ENOMEM;
		c->cpuid->nent = n;
		if (xioctl(c->kvm_fd, KVM_GET_SUPPORTED_CPUID, c->cpuid) == 0)
			break;
		if (errno != E2BIG || n >= CPUID_MAX_ENTRIES) {
			say(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return MSC_EIO;
		}
	}
	if (xioctl(c->vcpu_fd, KVM_SET_CPUID2, c->cpuid) < 0) {
		say(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
		return MSC_EIO;
	}
	return 0;
}

static MSC_MUST_CHECK int create_vcpu(struct kvm_ctx *c, char *err, size_t errlen)
{
	int n;

	c->vcpu_fd = ioctl(c->vm_fd, KVM_CREATE_VCPU, 0);
	if (c->vcpu_fd < 0) {
		say(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
		return MSC_EIO;
	}
	n = ioctl(c->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < (int)sizeof(struct kvm_run)) {
		say(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s",
		    n < 0 ? strerror(errno) : "too small");
		return MSC_EIO;
	}
	c->run_len = (size_t)n;
	c->run = mmap(NULL, c->run_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu_fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		say(err, errlen, "mmap of the vCPU's kvm_run: %s", strerror(errno));
		return MSC_ENOMEM;
	}
	return set_cpuid(c, err, errlen);
}

/* ---- the watchdog -------------------------------------------------------------- */

static MSC_MUST_CHECK int watchdog_start(struct kvm_ctx *c, unsigned secs, char *err, size_t errlen)
{
	int sig = watchdog_signal();
	struct sigaction act;
	struct sigevent sev;
	struct itimerspec its;
	sigset_t set;

	watchdog_fired = 0;
	watchdog_run = c->run;
	sigemptyset(&set);
	sigaddset(&set, sig);
	/* Remember the mask first: watchdog_stop() restores it. */
	if (pthread_sigmask(SIG_SETMASK, NULL, &c->old_mask))
		goto fail;
	c->have_mask = true;
	memset(&act, 0, sizeof(act));
	act.sa_handler = watchdog_handler; /* no SA_RESTART: KVM_RUN must see EINTR */
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &c->old_act) < 0)
		goto fail;
	c->have_act = true;
	if (pthread_sigmask(SIG_UNBLOCK, &set, NULL))
		goto fail;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &c->timer) < 0)
		goto fail;
	c->have_timer = true;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = secs;
	its.it_interval.tv_nsec = WATCHDOG_REPEAT_NS;
	if (timer_settime(c->timer, 0, &its, NULL) < 0)
		goto fail;
	return 0;
fail:
	say(err, errlen, "the watchdog timer: %s", strerror(errno));
	return MSC_EIO;
}

/* Stop the timer, drop a kick still pending, put the signal back as it was. */
static void watchdog_stop(struct kvm_ctx *c)
{
	int sig = watchdog_signal();
	struct timespec zero = {0, 0};
	sigset_t set;

	if (!c->have_mask)
		return;
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (c->have_timer)
		timer_delete(c->timer);
	while (sigtimedwait(&set, NULL, &zero) == sig)
		;
	watchdog_run = NULL;
	if (c->have_act)
		sigaction(sig, &c->old_act, NULL);
	pthread_sigmask(SIG_SETMASK, &c->old_mask, NULL);
	c->have_timer = c->have_act = c->have_mask = false;
}

/* ---- running ------------------------------------------------------------------- */

/* Guest-physical @gpa as a pointer into RAM or the ROM, NULL where no slot is. */
static const u8 *gpa_ptr(const struct kvm_ctx *c, gpa_t gpa)
{
	if (gpa < HB_HOLE_LO || (gpa >= HB_HOLE_HI && gpa < HB_RAM_BYTES))
		return c->ram + gpa;
	if (gpa >= KVM_BIOS_ALIAS_PA && gpa < HB_HOLE_HI)
		return c->rom + (gpa - KVM_BIOS_ALIAS_PA);
	if (gpa >= HB_ROM_PA && gpa < HB_ROM_PA + HB_ROM_BYTES)
		return c->rom + (gpa - HB_ROM_PA);
	return NULL;
}

/*
 * Where the vCPU stopped, for messages: "cs:rip 0x8:0x... (linear 0x..., cr0
 * 0x..., bytes cd 80 ...)"; the instruction bytes through KVM_TRANSLATE of the
 * linear rip (in the vCPU's current paging mode), when it translates.
 */
static void vcpu_where(const struct kvm_ctx *c, char *buf, size_t n)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_translation tr;
	int len;

	if (ioctl(c->vcpu_fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(c->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(buf, n, "an unknown rip");
		return;
	}
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = sregs.cs.base + regs.rip;
	len = snprintf(buf, n, "cs:rip %#x:%#llx (linear %#llx, cr0 %#llx", sregs.cs.selector,
		       (unsigned long long)regs.rip, (unsigned long long)tr.linear_address,
		       (unsigned long long)sregs.cr0);
	if (len < 0 || (size_t)len >= n)
		return;
	if (ioctl(c->vcpu_fd, KVM_TRANSLATE, &tr) == 0 && tr.valid) {
		const u8 *p = gpa_ptr(c, tr.physical_address);

		for (int i = 0; p && i < 6 && gpa_ptr(c, tr.physical_address + (u64)i); i++) {
			int k = snprintf(buf + len, n - (size_t)len, "%s%02x", i ? " " : ", bytes ",
					 p[i]);

			if (k < 0 || (size_t)(len + k) >= n)
				return;
			len += k;
		}
	}
	snprintf(buf + len, n - (size_t)len, ")");
}

static const char *internal_error_name(u32 suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure: KVM's instruction emulator cannot run the instruction";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "an exit during event delivery";
	default:
		return "internal error";
	}
}

/*
 * System control port A (0x92), which the probe image reads and writes to
 * enable A20 the fast way. KVM has no A20 gate (the address line is always
 * on), so the port reads back "A20 on" (bit 1) and a write that keeps A20 on
 * is a no-op; a write that would turn it off, or set bit 0 (a CPU reset), is
 * refused rather than pretended.
 */
static MSC_MUST_CHECK int sysctl_port_a(struct kvm_run *r, char *err, size_t errlen)
{
	u8 *data = (u8 *)r + r->io.data_offset;

	for (u32 i = 0; i < r->io.count; i++) {
		if (r->io.direction == KVM_EXIT_IO_IN) {
			data[i] = SYSCTL_A20;
			continue;
		}
		if ((data[i] & (SYSCTL_A20 | SYSCTL_RESET)) != SYSCTL_A20) {
			say(err, errlen, "kvm: port %#x write %#x: %s", PORT_SYSCTL_A, data[i],
			    data[i] & SYSCTL_RESET ? "a reset request"
						   : "turning A20 off is not supported");
			return MSC_EIO;
		}
	}
	return 0;
}

static MSC_MUST_CHECK int run_loop(struct kvm_ctx *c, unsigned secs, char *err, size_t errlen)
{
	char where[192];
	int rc;

	for (;;) {
		struct kvm_run *r = c->run;

		if (ioctl(c->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				say(err, errlen, "KVM_RUN: %s", strerror(errno));
				return MSC_EIO;
			}
			if (watchdog_fired) {
				vcpu_where(c, where, sizeof(where));
				say(err, errlen, "kvm: timed out after %u s, the guest at %s", secs,
				    where);
				return MSC_EIO;
			}
			continue; /* another signal: enter again */
		}
		switch (r->exit_reason) {
		case KVM_EXIT_IO: {
			const u8 *data = (const u8 *)r + r->io.data_offset;
			u64 val = msc_le_get(data, r->io.size);

			if (r->io.port == HB_EXIT_PORT && r->io.direction == KVM_EXIT_IO_OUT) {
				if (val == HB_DONE_VALUE)
					return 0;
				if (val == HB_FAIL_VALUE) {
					say(err, errlen,
					    "kvm: the probe image found the batch malformed "
					    "(exit value %#x)",
					    HB_FAIL_VALUE);
					return MSC_EIO;
				}
				say(err, errlen, "kvm: unknown exit value %#llx on port %#x",
				    (unsigned long long)val, HB_EXIT_PORT);
				return MSC_EIO;
			}
			if (r->io.port == PORT_SYSCTL_A && r->io.size == 1) {
				rc = sysctl_port_a(r, err, errlen);
				if (rc)
					return rc;
				continue;
			}
			vcpu_where(c, where, sizeof(where));
			say(err, errlen, "kvm: unexpected I/O %s port %#x (size %u) at %s",
			    r->io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from", r->io.port,
			    r->io.size, where);
			return MSC_EIO;
		}
		case KVM_EXIT_HLT:
			vcpu_where(c, where, sizeof(where));
			say(err, errlen, "kvm: the guest halted (hlt) at %s", where);
			return MSC_EIO;
		case KVM_EXIT_SHUTDOWN:
			vcpu_where(c, where, sizeof(where));
			say(err, errlen, "kvm: shutdown (triple fault) at %s", where);
			return MSC_EIO;
		case KVM_EXIT_FAIL_ENTRY:
			say(err, errlen,
			    "kvm: VM entry failed, hardware_entry_failure_reason %#llx",
			    (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
			return MSC_EIO;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_where(c, where, sizeof(where));
			say(err, errlen, "kvm: %s (KVM_EXIT_INTERNAL_ERROR suberror %u) at %s",
			    internal_error_name(r->internal.suberror), r->internal.suberror, where);
			return MSC_EIO;
		case KVM_EXIT_MMIO:
			/* Without an in-kernel irqchip the local APIC is not emulated: the
			 * probe's self-SMI (a 32-bit store to the ICR, host/batch.h) comes
			 * here. Deliver it with KVM_SMI where KVM has SMM; otherwise drop
			 * it, and the image records the SMI as refused (never a pass). */
			if (r->mmio.is_write && r->mmio.phys_addr == HB_APIC_ICR_PA &&
			    r->mmio.len == 4) {
				u32 icr;

				memcpy(&icr, r->mmio.data, sizeof(icr));
				if (icr == HB_APIC_ICR_SMI &&
				    check_cap(c->kvm_fd, KVM_CAP_X86_SMM) &&
				    ioctl(c->vcpu_fd, KVM_SMI, 0) < 0) {
					say(err, errlen, "kvm: KVM_SMI: %s", strerror(errno));
					return MSC_EIO;
				}
				continue;
			}
			vcpu_where(c, where, sizeof(where));
			say(err, errlen,
			    "kvm: MMIO %s of %u bytes at gpa %#llx (no memory there) at %s",
			    r->mmio.is_write ? "write" : "read", r->mmio.len,
			    (unsigned long long)r->mmio.phys_addr, where);
			return MSC_EIO;
		case KVM_EXIT_INTR:
			if (watchdog_fired) {
				say(err, errlen, "kvm: timed out after %u s", secs);
				return MSC_EIO;
			}
			continue;
		default:
			vcpu_where(c, where, sizeof(where));
			say(err, errlen, "kvm: unexpected exit reason %u at %s", r->exit_reason,
			    where);
			return MSC_EIO;
		}
	}
}

/* The records in guest RAM: up to the first with status 0, at most @cap; cmd
 * indexes strictly ascending and below @ncmds (one record per command). */
static MSC_MUST_CHECK int read_records(const struct kvm_ctx *c, u32 ncmds, u32 cap,
				       struct host_result *out, char *err, size_t errlen)
{
	const u8 *res = c->ram + HB_RESULT_PA;
	struct hb_record rec;
	u32 n = 0;

	while (n < cap) {
		memcpy(&rec, res + (size_t)n * sizeof(rec), sizeof(rec));
		if (!rec.status)
			break;
		if (rec.cmd >= ncmds || (n && rec.cmd <= out->recs[n - 1].cmd)) {
			say(err, errlen, "kvm: record %u names command %u (%u commands%s)", n,
			    rec.cmd, ncmds, n ? ", not after the previous record's" : "");
			return MSC_EIO;
		}
		if (!n) {
			out->recs = calloc(cap, sizeof(rec));
			if (!out->recs)
				return MSC_ENOMEM;
		}
		out->recs[n++] = rec;
		out->nrecs = n;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int kvm_run(const void *image, const void *batch, size_t len, struct host_result *out,
		   char *err, size_t errlen)
{
	struct kvm_ctx c = {
		.kvm_fd = -1,
		.vm_fd = -1,
		.vcpu_fd = -1,
		.stats_fd = {-1, -1},
	};
	unsigned secs = run_timeout_s;
	double t0 = now_s();
	struct hb_header h;
	u32 cap;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	if (!image || !batch || len < sizeof(h) || len > HB_BATCH_MAX) {
		say(err, errlen, "kvm: a batch of %zu bytes (want %zu to %llu)", len, sizeof(h),
		    HB_BATCH_MAX);
		return MSC_EINVAL;
	}
	memcpy(&h, batch, sizeof(h));
	cap = h.ncmds;
	if (h.result_cap < cap)
		cap = (u32)h.result_cap;
	if (cap > HB_RESULT_MAX / sizeof(struct hb_record))
		cap = (u32)(HB_RESULT_MAX / sizeof(struct hb_record));
	describe_machine(out);

	c.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (c.kvm_fd < 0) {
		say(err, errlen, "/dev/kvm: %s", strerror(errno));
		rc = MSC_EIO;
		goto out;
	}
	c.vm_fd = ioctl(c.kvm_fd, KVM_CREATE_VM, 0);
	if (c.vm_fd < 0) {
		say(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		rc = MSC_EIO;
		goto out;
	}
	/* VMX needs three pages for the real-mode TSS when it lacks unrestricted
	 * guest; elsewhere the call is harmless. */
	if (check_cap(c.kvm_fd, KVM_CAP_SET_TSS_ADDR) &&
	    ioctl(c.vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_PA) < 0) {
		say(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		rc = MSC_EIO;
		goto out;
	}
	rc = map_memory(&c, image, err, errlen);
	if (rc)
		goto out;
	/* The result area is zero: the mapping is fresh anonymous memory. */
	memcpy(c.ram + HB_BATCH_PA, batch, len);
	rc = create_vcpu(&c, err, errlen);
	if (rc)
		goto out;
	stats_open(&c, out);
	/* The vCPU is at its reset state: CS.base 0xffff0000, rip 0xfff0. */
	rc = watchdog_start(&c, secs, err, errlen);
	if (rc)
		goto out;
	stats_read(&c, out, false);
	rc = run_loop(&c, secs, err, errlen);
	watchdog_stop(&c);
	stats_read(&c, out, true);
	if (!rc)
		rc = read_records(&c, h.ncmds, cap, out, err, errlen);
out:
	watchdog_stop(&c);
	if (rc) {
		free(out->recs);
		out->recs = NULL;
		out->nrecs = 0;
	}
	free(c.cpuid);
	if (c.run)
		munmap(c.run, c.run_len);
	for (int i = 0; i < 2; i++)
		if (c.stats_fd[i] >= 0)
			close(c.stats_fd[i]);
	if (c.vcpu_fd >= 0)
		close(c.vcpu_fd);
	if (c.vm_fd >= 0)
		close(c.vm_fd);
	if (c.kvm_fd >= 0)
		close(c.kvm_fd);
	if (c.rom)
		munmap(c.rom, HB_ROM_BYTES);
	if (c.ram)
		munmap(c.ram, HB_RAM_BYTES);
	out->wall_s = now_s() - t0;
	return rc;
}

const struct host_runner host_runner_kvm = {"kvm", kvm_available, kvm_run};
