/* SPDX-License-Identifier: MIT */
/*
 * The QEMU runners (host/runner.h): qemu-system-x86_64 boots the probe image
 * with -bios, the batch placed by the generic loader, guest RAM backed by a
 * shared file from which the records are read after isa-debug-exit.
 * qemu-tcg uses TCG (-cpu max), qemu-kvm uses KVM (-cpu host).
 */
#include "host/runner_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu/err.h"

#define QEMU_BIN "qemu-system-x86_64"
#define QEMU_EXIT_DONE ((HB_DONE_VALUE << 1) | 1)
#define QEMU_EXIT_FAIL ((HB_FAIL_VALUE << 1) | 1)

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n + strlen(prog) + 2 <= sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, prog);
			if (!access(buf, X_OK))
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static const char *tcg_available(void)
{
	return in_path(QEMU_BIN) ? NULL : QEMU_BIN " not found in PATH";
}

static const char *kvm_available(void)
{
	static char why[128];

	if (!in_path(QEMU_BIN))
		return QEMU_BIN " not found in PATH";
	if (access("/dev/kvm", R_OK | W_OK)) {
		snprintf(why, sizeof(why), "/dev/kvm: %s", strerror(errno));
		return why;
	}
	return NULL;
}

/* "7.2.22" from `qemu-system-x86_64 --version`, run once; "?" when unknown. */
static const char *qemu_version(void)
{
	static char ver[32];
	char buf[256];
	int fds[2];
	pid_t pid;
	ssize_t n;
	size_t len = 0;
	const char *p;

	if (ver[0])
		return ver;
	strcpy(ver, "?");
	if (pipe(fds))
		return ver;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return ver;
	}
	if (pid == 0) {
		char *argv[] = {(char *)QEMU_BIN, (char *)"--version", NULL};

		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 && (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	p = strstr(buf, "version ");
	if (p) {
		p += strlen("version ");
		n = (ssize_t)strspn(p, "0123456789.");
		if (n > 0 && (size_t)n < sizeof(ver)) {
			memcpy(ver, p, (size_t)n);
			ver[n] = 0;
		}
	}
	return ver;
}

/* Whether KVM walks guest tables with EPT/NPT (else its shadow walker answers). */
static bool tdp_enabled(void)
{
	static const char *const params[] = {"/sys/module/kvm_intel/parameters/ept",
					     "/sys/module/kvm_amd/parameters/npt"};

	for (size_t i = 0; i < MSC_ARRAY_SIZE(params); i++) {
		FILE *f = fopen(params[i], "r");
		int c;

		if (!f)
			continue;
		c = fgetc(f);
		fclose(f);
		return c == 'Y' || c == 'y' || c == '1';
	}
	return false;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const u8 *p = data;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/* The RAM backing file: /dev/shm, else $TMPDIR. Returns its fd, path in @path. */
static int ram_file(const char *tmpdir, char *path, size_t n)
{
	int fd;

	snprintf(path, n, "/dev/shm/mscope-ram-XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, n, "%s/ram", tmpdir);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)HB_RAM_BYTES)) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append up to the last @n bytes of the file @path to @err (QEMU's stderr). */
static void append_file(char *err, size_t errlen, const char *path)
{
	char buf[512];
	size_t len = strlen(err), got;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	buf[got] = 0;
	if (got && len + 3 < errlen)
		snprintf(err + len, errlen - len, ": %s", buf);
}

/* Start QEMU; its exit status in *status, or MSC_EIO on a timeout. */
static int run_qemu(char *const argv[], const char *errpath, int *status, char *err, size_t errlen)
{
	double deadline = now_s() + HOST_RUN_TIMEOUT_S;
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return MSC_EIO;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		struct timespec ts = {0, 1000000};

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return MSC_EIO;
		}
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			snprintf(err, errlen, "QEMU did not finish within %d s",
				 HOST_RUN_TIMEOUT_S);
			return MSC_EIO;
		}
		nanosleep(&ts, NULL);
	}
}

/* Copy and check the records: status set, command indexes ascending. */
static int read_records(int fd, const struct hb_header *h, struct host_result *out, char *err,
			size_t errlen)
{
	size_t cap = (size_t)h->result_cap, maplen;
	const struct hb_record *r;
	void *map;
	u32 n = 0;
	int ret = 0;

	if (!cap)
		return 0;
	maplen = (cap * sizeof(struct hb_record) + 4095) & ~(size_t)4095;
	map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, (off_t)HB_RESULT_PA);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "mmap of the result area: %s", strerror(errno));
		return MSC_EIO;
	}
	r = map;
	while (n < cap && r[n].status)
		n++;
	out->recs = calloc(n ? n : 1, sizeof(*out->recs));
	if (!out->recs) {
		ret = MSC_ENOMEM;
		goto out;
	}
	for (u32 i = 0; i < n; i++) {
		out->recs[i] = r[i];
		if (r[i].status > HB_ST_BAD || r[i].cmd >= h->ncmds ||
		    (i && r[i].cmd <= r[i - 1].cmd)) {
			snprintf(err, errlen, "record %u is malformed (cmd %u, status %u)", i,
				 r[i].cmd, r[i].status);
			free(out->recs);
			out->recs = NULL;
			ret = MSC_EIO;
			goto out;
		}
	}
	out->nrecs = n;
out:
	munmap(map, maplen);
	return ret;
}

/*
 * The -cpu argument: "max" under TCG ("host" under KVM) with the paging features
 * the batch's CPU lacks turned off, and its MAXPHYADDR as phys-bits, so that
 * reserved bits and page sizes are the scenario's (host/batch.h, hb_header).
 */
static void cpu_model(bool kvm, const struct hb_header *h, char *buf, size_t n)
{
	static const struct {
		u32 bit;
		const char *name;
	} off[] = {
		{HB_CPU_NO_1G, "pdpe1gb"}, {HB_CPU_NO_LA57, "la57"},   {HB_CPU_NO_PKU, "pku"},
		{HB_CPU_NO_SMEP, "smep"},  {HB_CPU_NO_SMAP, "smap"},   {HB_CPU_NO_NX, "nx"},
		{HB_CPU_NO_PGE, "pge"},	   {HB_CPU_NO_PSE36, "pse36"},
	};
	size_t len = (size_t)snprintf(buf, n, "%s", kvm ? "host" : "max");

	for (size_t i = 0; i < MSC_ARRAY_SIZE(off) && len < n; i++)
		if (h->cpu_off & off[i].bit)
			len += (size_t)snprintf(buf + len, n - len, ",%s=off", off[i].name);
	if (h->maxphyaddr >= 32 && h->maxphyaddr <= 52 && len < n)
		snprintf(buf + len, n - len, ",phys-bits=%u", h->maxphyaddr);
}

static int qemu_run(bool kvm, const void *image, const void *batch, size_t len,
		    struct host_result *out, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], img[600], bat[600], errpath[600], ram[600], cpu[120];
	char memobj[800], loader[800];
	struct hb_header h;
	int fd = -1, status = 0, ret;
	double t0 = now_s();

	memset(out, 0, sizeof(*out));
	err[0] = 0;
	if (len < sizeof(h)) {
		snprintf(err, errlen, "batch too short");
		return MSC_EINVAL;
	}
	memcpy(&h, batch, sizeof(h));
	if (h.magic != HB_MAGIC || len > sizeof(h) + HB_BATCH_MAX ||
	    h.result_cap > HB_RESULT_MAX / sizeof(struct hb_record)) {
		snprintf(err, errlen, "not a probe batch");
		return MSC_EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s/mscope-qemu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "mkdtemp %s: %s", dir, strerror(errno));
		return MSC_EIO;
	}
	snprintf(img, sizeof(img), "%s/probe.bin", dir);
	snprintf(bat, sizeof(bat), "%s/batch.bin", dir);
	snprintf(errpath, sizeof(errpath), "%s/qemu.err", dir);
	ram[0] = 0;
	if (write_file(img, image, HB_ROM_BYTES) || write_file(bat, batch, len)) {
		snprintf(err, errlen, "writing to %s: %s", dir, strerror(errno));
		ret = MSC_EIO;
		goto out;
	}
	fd = ram_file(dir, ram, sizeof(ram));
	if (fd < 0) {
		snprintf(err, errlen, "guest RAM file: %s", strerror(errno));
		ram[0] = 0;
		ret = MSC_EIO;
		goto out;
	}
	snprintf(memobj, sizeof(memobj),
		 "memory-backend-file,id=ram,size=%llu,mem-path=%s,share=on",
		 (unsigned long long)HB_RAM_BYTES, ram);
	snprintf(loader, sizeof(loader), "loader,file=%s,addr=0x%llx,force-raw=on", bat,
		 (unsigned long long)HB_BATCH_PA);
	cpu_model(kvm, &h, cpu, sizeof(cpu));
	{
		char *argv[] = {(char *)QEMU_BIN,
				(char *)"-accel",
				(char *)(kvm ? "kvm" : "tcg"),
				(char *)"-cpu",
				cpu,
				(char *)"-M",
				(char *)"pc",
				(char *)"-smp",
				(char *)"1",
				(char *)"-m",
				(char *)"256M",
				(char *)"-nodefaults",
				(char *)"-display",
				(char *)"none",
				(char *)"-no-reboot",
				(char *)"-bios",
				img,
				(char *)"-device",
				(char *)"isa-debug-exit,iobase=0xf4,iosize=4",
				(char *)"-object",
				memobj,
				(char *)"-machine",
				(char *)"memory-backend=ram",
				(char *)"-device",
				loader,
				NULL};

		ret = run_qemu(argv, errpath, &status, err, errlen);
	}
	if (ret)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != QEMU_EXIT_DONE) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == QEMU_EXIT_FAIL)
			snprintf(err, errlen, "the probe image found the batch malformed");
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			snprintf(err, errlen, "the guest reset (triple fault)");
		else if (WIFEXITED(status))
			snprintf(err, errlen, "QEMU exited with status %d", WEXITSTATUS(status));
		else
			snprintf(err, errlen, "QEMU killed by signal %d", WTERMSIG(status));
		append_file(err, errlen, errpath);
		ret = MSC_EIO;
		goto out;
	}
	ret = read_records(fd, &h, out, err, errlen);
	if (ret)
		goto out;
	snprintf(out->machine, sizeof(out->machine), "QEMU %s %s -cpu %s", qemu_version(),
		 kvm ? "KVM" : "TCG", cpu);
	out->hw_walks = !kvm || tdp_enabled();
	out->wall_s = now_s() - t0;
out:
	if (fd >= 0)
		close(fd);
	if (ram[0])
		unlink(ram);
	unlink(img);
	unlink(bat);
	unlink(errpath);
	rmdir(dir);
	return ret;
}

static int tcg_run(const void *image, const void *batch, size_t len, struct host_result *out,
		   char *err, size_t errlen)
{
	return qemu_run(false, image, batch, len, out, err, errlen);
}

static int kvm_run(const void *image, const void *batch, size_t len, struct host_result *out,
		   char *err, size_t errlen)
{
	return qemu_run(true, image, batch, len, out, err, errlen);
}

const struct host_runner host_runner_qemu_tcg = {"qemu-tcg", tcg_available, tcg_run};
const struct host_runner host_runner_qemu_kvm = {"qemu-kvm", kvm_available, kvm_run};
