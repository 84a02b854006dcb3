/* SPDX-License-Identifier: MIT */
/*
 * The CPUID feature model (cpu/features.h): the default Intel and AMD CPUs and
 * each consistency rule of cpu_features_check, refused and nearest accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu/err.h"
#include "cpu/features.h"

#define CHECK_EQ(what, want, got)                                                          \
	do {                                                                               \
		unsigned long long want_ = (unsigned long long)(want);                     \
		unsigned long long got_ = (unsigned long long)(got);                       \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

/* @f must be rejected, with a why string mentioning @keyword. */
static void check_rejected(const struct cpu_features *f, const char *keyword)
{
	const char *why = NULL;
	int rc = cpu_features_check(f, &why);

	CHECK_EQ("cpu_features_check", MSC_EINVAL, rc);
	assert_non_null(why);
	if (!strstr(why, keyword)) {
		print_error("why \"%s\" does not mention \"%s\"\n", why, keyword);
		fail();
	}
	/* why may be NULL. */
	CHECK_EQ("cpu_features_check(why=NULL)", MSC_EINVAL, cpu_features_check(f, NULL));
}

static void check_accepted(const struct cpu_features *f)
{
	const char *why = "unset";
	int rc = cpu_features_check(f, &why);

	if (rc != 0)
		print_error("rejected: %s\n", why ? why : "(null)");
	CHECK_EQ("cpu_features_check", 0, rc);
	assert_null(why);
	CHECK_EQ("cpu_features_check(why=NULL)", 0, cpu_features_check(f, NULL));
}

static void check_paging_features_all_on(const struct cpu_features *f)
{
	assert_true(f->pse);
	assert_true(f->pae);
	assert_true(f->pge);
	assert_true(f->pse36);
	assert_true(f->nx);
	assert_true(f->gbpages);
	assert_true(f->lm);
	assert_true(f->la57);
	assert_true(f->smep);
	assert_true(f->smap);
	assert_true(f->pku);
	assert_true(f->pcid);
	assert_true(f->invpcid);
}

static void test_default_intel_has_vmx_with_every_ept_cap(void **state)
{
	struct cpu_features f;

	(void)state;
	memset(&f, 0xa5, sizeof(f));
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	CHECK_EQ("vendor", CPU_VENDOR_INTEL, f.vendor);
	CHECK_EQ("maxphyaddr", 46, f.maxphyaddr);
	check_paging_features_all_on(&f);
	assert_true(f.vmx);
	assert_true(f.ept.walk4);
	assert_true(f.ept.walk5);
	assert_true(f.ept.execonly);
	assert_true(f.ept.ad);
	assert_true(f.ept.huge_2m);
	assert_true(f.ept.huge_1g);
	assert_true(f.ept.vpid);
	assert_false(f.svm);
	assert_false(f.npt);
	check_accepted(&f);
}

static void test_default_amd_has_svm_with_npt(void **state)
{
	struct cpu_features f;

	(void)state;
	memset(&f, 0xa5, sizeof(f));
	cpu_features_default(&f, CPU_VENDOR_AMD);
	CHECK_EQ("vendor", CPU_VENDOR_AMD, f.vendor);
	CHECK_EQ("maxphyaddr", 48, f.maxphyaddr);
	check_paging_features_all_on(&f);
	assert_true(f.svm);
	assert_true(f.npt);
	assert_false(f.vmx);
	assert_false(f.ept.walk4);
	assert_false(f.ept.walk5);
	assert_false(f.ept.execonly);
	assert_false(f.ept.ad);
	assert_false(f.ept.huge_2m);
	assert_false(f.ept.huge_1g);
	assert_false(f.ept.vpid);
	check_accepted(&f);
}

static void test_check_rejects_unknown_vendor(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.vendor = (enum cpu_vendor)7;
	check_rejected(&f, "vendor");
}

static void test_check_maxphyaddr_must_be_32_to_52(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.maxphyaddr = 31;
	check_rejected(&f, "MAXPHYADDR");
	f.maxphyaddr = 53;
	check_rejected(&f, "MAXPHYADDR");
	f.maxphyaddr = 0;
	check_rejected(&f, "MAXPHYADDR");
	f.maxphyaddr = 32;
	check_accepted(&f);
	f.maxphyaddr = 36;
	check_accepted(&f);
	f.maxphyaddr = 52;
	check_accepted(&f);
}

static void test_check_pse36_requires_pse(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.pse = false;
	check_rejected(&f, "PSE-36");
	f.pse36 = false;
	check_accepted(&f);
}

static void test_check_la57_requires_long_mode(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.lm = false;
	f.gbpages = false;
	check_rejected(&f, "LA57");
	f.la57 = false;
	check_accepted(&f);
}

static void test_check_gbpages_require_long_mode(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_AMD);
	f.lm = false;
	f.la57 = false;
	check_rejected(&f, "1 GiB");
	f.gbpages = false;
	check_accepted(&f);
}

static void test_check_vmx_only_on_intel(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.vendor = CPU_VENDOR_AMD;
	check_rejected(&f, "VMX");
	/* The nearest AMD CPU: no VMX, no EPT caps. */
	memset(&f.ept, 0, sizeof(f.ept));
	f.vmx = false;
	check_accepted(&f);
}

static void test_check_svm_only_on_amd(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_AMD);
	f.vendor = CPU_VENDOR_INTEL;
	check_rejected(&f, "SVM");
	f.svm = false;
	f.npt = false;
	check_accepted(&f);
}

static void test_check_ept_caps_require_vmx(void **state)
{
	struct cpu_features f;
	bool *caps[7];

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.vmx = false;
	memset(&f.ept, 0, sizeof(f.ept));
	check_accepted(&f);
	caps[0] = &f.ept.walk4;
	caps[1] = &f.ept.walk5;
	caps[2] = &f.ept.execonly;
	caps[3] = &f.ept.ad;
	caps[4] = &f.ept.huge_2m;
	caps[5] = &f.ept.huge_1g;
	caps[6] = &f.ept.vpid;
	for (unsigned i = 0; i < 7; i++) {
		*caps[i] = true;
		check_rejected(&f, "require VMX");
		*caps[i] = false;
	}
}

static void test_check_npt_requires_svm(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_AMD);
	f.svm = false;
	check_rejected(&f, "nested paging");
	f.npt = false;
	check_accepted(&f);
}

static void test_check_vmx_needs_an_ept_walk_length(void **state)
{
	struct cpu_features f;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.ept.walk4 = false;
	f.ept.walk5 = false;
	check_rejected(&f, "walk length");
	f.ept.walk5 = true;
	check_accepted(&f);
	f.ept.walk5 = false;
	f.ept.walk4 = true;
	check_accepted(&f);
}

static void test_check_accepts_a_32bit_cpu_without_long_mode(void **state)
{
	struct cpu_features f;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.vendor = CPU_VENDOR_INTEL;
	f.maxphyaddr = 36;
	f.pse = true;
	f.pae = true;
	f.pge = true;
	f.pse36 = true;
	f.nx = true;
	check_accepted(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_intel_has_vmx_with_every_ept_cap),
		cmocka_unit_test(test_default_amd_has_svm_with_npt),
		cmocka_unit_test(test_check_rejects_unknown_vendor),
		cmocka_unit_test(test_check_maxphyaddr_must_be_32_to_52),
		cmocka_unit_test(test_check_pse36_requires_pse),
		cmocka_unit_test(test_check_la57_requires_long_mode),
		cmocka_unit_test(test_check_gbpages_require_long_mode),
		cmocka_unit_test(test_check_vmx_only_on_intel),
		cmocka_unit_test(test_check_svm_only_on_amd),
		cmocka_unit_test(test_check_ept_caps_require_vmx),
		cmocka_unit_test(test_check_npt_requires_svm),
		cmocka_unit_test(test_check_vmx_needs_an_ept_walk_length),
		cmocka_unit_test(test_check_accepts_a_32bit_cpu_without_long_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
