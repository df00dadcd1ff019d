// SPDX-License-Identifier: GPL-2.0-or-later
/* CUnit tests of the cgroup statistics parsers (kernel samples, hostile text)
 * and of the readers, against a directory of sample files made here. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "sexec/cgroup.h"
#include "sexec/cgstat.h"

/* Samples as the kernel writes them; "host" ones were read on a 6.18 hybrid
 * host (v1 controllers, v2 tree with PSI only). */
static const char host_cpu_stat[] = "usage_usec 5242294603\n"
				    "user_usec 2998575700\n"
				    "system_usec 2243718902\n"
				    "nice_usec 19986\n";
static const char v2_cpu_stat[] = "usage_usec 1234567\n"
				  "user_usec 1000000\n"
				  "system_usec 234567\n"
				  "core_sched.force_idle_usec 0\n"
				  "nr_periods 120\n"
				  "nr_throttled 7\n"
				  "throttled_usec 35000\n"
				  "nr_bursts 0\n"
				  "burst_usec 0\n";
static const char v1_cpu_stat[] = "nr_periods 300\n"
				  "nr_throttled 12\n"
				  "throttled_time 4500123456\n"
				  "nr_bursts 0\n"
				  "burst_time 0\n";
static const char v2_memory_events[] =
	"low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
static const char v2_io_stat[] =
	"253:0 rbytes=1048576 wbytes=2097152 rios=16 wios=32 dbytes=0 dios=0\n"
	"8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=512 dios=1\n"
	"259:0 rbytes=10 wbytes=20 rios=3 wios=4 dbytes=0 dios=0 cost.vrate=100.00 "
	"cost.usage=1234 cost.wait=0 cost.indebt=0 cost.indelay=0\n";
static const char host_cpu_pressure[] = "some avg10=0.29 avg60=0.19 avg300=0.71 total=480146027\n"
					"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
static const char host_io_pressure[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=75959681\n"
				       "full avg10=0.00 avg60=0.00 avg300=0.00 total=65774336\n";
static const char host_memory_pressure[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=34224\n"
					   "full avg10=0.00 avg60=0.00 avg300=0.00 total=22164\n";
static const char host_cpuacct_stat[] = "user 308361\nsystem 230735\n";
static const char host_oom_control[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
static const char v1_blkio_bytes[] = "8:16 Read 1228800\n"
				     "8:16 Write 0\n"
				     "8:16 Sync 1228800\n"
				     "8:16 Async 0\n"
				     "8:16 Discard 0\n"
				     "8:16 Total 1228800\n"
				     "8:0 Read 10240\n"
				     "8:0 Write 40960\n"
				     "8:0 Sync 45056\n"
				     "8:0 Async 6144\n"
				     "8:0 Discard 0\n"
				     "8:0 Total 51200\n"
				     "Total 1280000\n";
static const char v1_blkio_ios[] = "8:16 Read 300\n8:16 Write 0\n8:16 Sync 300\n8:16 Async 0\n"
				   "8:16 Discard 0\n8:16 Total 300\n8:0 Read 3\n8:0 Write 10\n"
				   "8:0 Sync 11\n8:0 Async 2\n8:0 Discard 0\n8:0 Total 13\n"
				   "Total 313\n";

/* The parsers see the text in a heap block of its exact size, so that a read
 * past the NUL is caught under AddressSanitizer. */
static char *dup_text(const char *text)
{
	char *p = strdup(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static int cpu_stat(const char *text, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_cpu_stat(p, s);

	free(p);
	return err;
}

static int mem_events(const char *text, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_memory_events(p, s);

	free(p);
	return err;
}

static int io_stat(const char *text, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_io_stat(p, s);

	free(p);
	return err;
}

static int psi(const char *text, struct cg_psi *ps)
{
	char *p = dup_text(text);
	int err = cgstat_parse_psi(p, ps);

	free(p);
	return err;
}

static int cpuacct(const char *text, long hz, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_cpuacct_stat(p, hz, s);

	free(p);
	return err;
}

static int blkio(const char *text, int ios, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_blkio(p, ios, s);

	free(p);
	return err;
}

static int oom_control(const char *text, struct cg_stats *s)
{
	char *p = dup_text(text);
	int err = cgstat_parse_oom_control(p, s);

	free(p);
	return err;
}

static int u64(const char *text, uint64_t *v)
{
	char *p = dup_text(text);
	int err = cgstat_parse_u64(p, v);

	free(p);
	return err;
}

/* A failed parse must leave every byte of its output as it was. */
static void poison(void *p, size_t n)
{
	memset(p, 0xa5, n);
}

static int poisoned(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0xa5)
			return 0;
	return 1;
}

static void test_u64(void)
{
	uint64_t v = 7;

	CU_ASSERT_EQUAL(u64("29671424\n", &v), 0);
	CU_ASSERT_EQUAL(v, 29671424);
	CU_ASSERT_EQUAL(u64("0", &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(u64("max\n", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(u64("max", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(u64("9223372036854771712\n", &v), 0);
	CU_ASSERT_EQUAL(v, 9223372036854771712ull);
	CU_ASSERT_EQUAL(u64("18446744073709551615\n", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);

	v = 7;
	CU_ASSERT_EQUAL(u64("18446744073709551616\n", &v), -ERANGE);
	CU_ASSERT_EQUAL(u64("99999999999999999999999\n", &v), -ERANGE);
	CU_ASSERT_EQUAL(u64("", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("-1\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("+1\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64(" 1\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("1 \n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("0x10\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("12\n3", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("12\n\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("maxx\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("MAX\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(u64("1.5\n", &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 7);
}

static void test_cpu_stat(void)
{
	struct cg_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpu_stat(host_cpu_stat, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES);
	CU_ASSERT_EQUAL(s.cpu_usage_us, 5242294603ull);
	CU_ASSERT_EQUAL(s.cpu_user_us, 2998575700ull);
	CU_ASSERT_EQUAL(s.cpu_system_us, 2243718902ull);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpu_stat(v2_cpu_stat, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES | CGS_HAVE_THROTTLE);
	CU_ASSERT_EQUAL(s.cpu_usage_us, 1234567);
	CU_ASSERT_EQUAL(s.cpu_user_us, 1000000);
	CU_ASSERT_EQUAL(s.cpu_system_us, 234567);
	CU_ASSERT_EQUAL(s.nr_throttled, 7);
	CU_ASSERT_EQUAL(s.throttled_us, 35000);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpu_stat(v1_cpu_stat, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_THROTTLE);
	CU_ASSERT_EQUAL(s.nr_throttled, 12);
	CU_ASSERT_EQUAL(s.throttled_us, 4500123);

	/* Nothing known: nothing found, no error. */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpu_stat("", &s), 0);
	CU_ASSERT_EQUAL(cpu_stat("\n\n", &s), 0);
	CU_ASSERT_EQUAL(cpu_stat("future_key 1 2 3\nweird =x\n", &s), 0);
	CU_ASSERT_EQUAL(s.have, 0);

	/* Half a group is not the group. */
	CU_ASSERT_EQUAL(cpu_stat("user_usec 5\nnr_throttled 3\n", &s), 0);
	CU_ASSERT_EQUAL(s.have, 0);

	/* No last newline, tabs. */
	CU_ASSERT_EQUAL(cpu_stat("usage_usec\t42", &s), 0);
	CU_ASSERT_EQUAL(s.cpu_usage_us, 42);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 10\nuser_usec abc\nsystem_usec 1\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 10\nuser_usec -5\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 1e6\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 1 2\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 1\nusage_usec 2\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 1\r\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(cpu_stat("usage_usec 18446744073709551616\n", &s), -ERANGE);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

static void test_memory_events(void)
{
	struct cg_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(mem_events(v2_memory_events, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_MEM_EVENTS | CGS_HAVE_OOM | CGS_HAVE_OOM_KILL);
	CU_ASSERT_EQUAL(s.mem_events_max, 12);
	CU_ASSERT_EQUAL(s.oom, 1);
	CU_ASSERT_EQUAL(s.oom_kill, 1);

	/* Before Linux 4.13 there is no oom_kill. */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(mem_events("low 0\nhigh 3\nmax 4\noom 2\n", &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_MEM_EVENTS | CGS_HAVE_OOM);
	CU_ASSERT_EQUAL(s.mem_events_max, 4);
	CU_ASSERT_EQUAL(s.oom, 2);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(mem_events("low 0\nhigh 0\nmax 1\noom x\noom_kill 0\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(mem_events("max max\n", &s), -EINVAL);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

static void test_io_stat(void)
{
	struct cg_stats s;
	char big[128];

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(io_stat(v2_io_stat, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);
	CU_ASSERT_EQUAL(s.io_rbytes, 1048576 + 4096 + 10);
	CU_ASSERT_EQUAL(s.io_wbytes, 2097152 + 8192 + 20);
	CU_ASSERT_EQUAL(s.io_rios, 16 + 1 + 3);
	CU_ASSERT_EQUAL(s.io_wios, 32 + 2 + 4);

	/* No device has done I/O yet. */
	poison(&s, sizeof(s));
	s.have = 0;
	CU_ASSERT_EQUAL(io_stat("", &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);
	CU_ASSERT_EQUAL(s.io_rbytes, 0);
	CU_ASSERT_EQUAL(s.io_wios, 0);

	/* Sums saturate. */
	snprintf(big, sizeof(big), "8:0 rbytes=%llu wbytes=1 rios=1 wios=1\n",
		 (unsigned long long)UINT64_MAX - 1);
	strcat(big, "8:16 rbytes=5 wbytes=1 rios=1 wios=1\n");
	CU_ASSERT_EQUAL(io_stat(big, &s), 0);
	CU_ASSERT_EQUAL(s.io_rbytes, UINT64_MAX);
	CU_ASSERT_EQUAL(s.io_wbytes, 2);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 wbytes=2 rios=3\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=x\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 rbytes=1 wbytes=2 rios=3 wios=4\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=4 junk\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("sda rbytes=1 wbytes=2 rios=3 wios=4\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8: rbytes=1 wbytes=2 rios=3 wios=4\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0\n", &s), -EINVAL);
	CU_ASSERT_EQUAL(io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=4\n"
				"8:16 rbytes=99999999999999999999 wbytes=0 rios=0 wios=0\n",
				&s),
			-ERANGE);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

static void test_psi(void)
{
	struct cg_psi p;

	CU_ASSERT_EQUAL(psi(host_cpu_pressure, &p), 0);
	CU_ASSERT_EQUAL(p.some_us, 480146027);
	CU_ASSERT_EQUAL(p.full_us, 0);
	CU_ASSERT_EQUAL(psi(host_io_pressure, &p), 0);
	CU_ASSERT_EQUAL(p.some_us, 75959681);
	CU_ASSERT_EQUAL(p.full_us, 65774336);
	CU_ASSERT_EQUAL(psi(host_memory_pressure, &p), 0);
	CU_ASSERT_EQUAL(p.some_us, 34224);
	CU_ASSERT_EQUAL(p.full_us, 22164);

	/* cpu.pressure before Linux 5.13: no "full" line. */
	p.full_us = 99;
	CU_ASSERT_EQUAL(psi("some avg10=1.50 avg60=0.40 avg300=0.10 total=1000\n", &p), 0);
	CU_ASSERT_EQUAL(p.some_us, 1000);
	CU_ASSERT_EQUAL(p.full_us, 0);
	/* Order and unknown lines do not matter. */
	CU_ASSERT_EQUAL(psi("full total=2\nnew total=3\nsome total=1", &p), 0);
	CU_ASSERT_EQUAL(p.some_us, 1);
	CU_ASSERT_EQUAL(p.full_us, 2);

	poison(&p, sizeof(p));
	CU_ASSERT_EQUAL(psi("", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some avg10=0.00 avg60=0.00 avg300=0.00\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some avg10=0.00 total=12x\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some avg10=0.00 total=\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some total=1 total=2\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some total=1\nsome total=2\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some avg10 total=1\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some total=1\nfull total=oops\n", &p), -EINVAL);
	CU_ASSERT_EQUAL(psi("some total=18446744073709551616\n", &p), -ERANGE);
	CU_ASSERT(poisoned(&p, sizeof(p)));
}

static void test_cpuacct_stat(void)
{
	struct cg_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpuacct(host_cpuacct_stat, 100, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_CPU_TIMES);
	CU_ASSERT_EQUAL(s.cpu_user_us, 3083610000ull);
	CU_ASSERT_EQUAL(s.cpu_system_us, 2307350000ull);
	CU_ASSERT_EQUAL(cpuacct("user 251\nsystem 1\n", 250, &s), 0);
	CU_ASSERT_EQUAL(s.cpu_user_us, 1004000);
	CU_ASSERT_EQUAL(s.cpu_system_us, 4000);
	CU_ASSERT_EQUAL(cpuacct("user 18446744073709551615\nsystem 0\n", 100, &s), 0);
	CU_ASSERT_EQUAL(s.cpu_user_us, UINT64_MAX);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cpuacct("user 5\n", 100, &s), 0);
	CU_ASSERT_EQUAL(s.have, 0);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(cpuacct(host_cpuacct_stat, 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(cpuacct(host_cpuacct_stat, -100, &s), -EINVAL);
	CU_ASSERT_EQUAL(cpuacct("user 1\nsystem two\n", 100, &s), -EINVAL);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

static void test_blkio(void)
{
	struct cg_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(blkio(v1_blkio_bytes, 0, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES);
	CU_ASSERT_EQUAL(s.io_rbytes, 1228800 + 10240);
	CU_ASSERT_EQUAL(s.io_wbytes, 40960);
	CU_ASSERT_EQUAL(blkio(v1_blkio_ios, 1, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);
	CU_ASSERT_EQUAL(s.io_rios, 303);
	CU_ASSERT_EQUAL(s.io_wios, 10);
	CU_ASSERT_EQUAL(s.io_rbytes, 1228800 + 10240); /* untouched */

	/* What the host's root blkio cgroup says: no I/O through it. */
	memset(&s, 0, sizeof(s));
	s.io_rbytes = 5;
	CU_ASSERT_EQUAL(blkio("Total 0\n", 0, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES);
	CU_ASSERT_EQUAL(s.io_rbytes, 0);
	CU_ASSERT_EQUAL(blkio("", 1, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(blkio("8:0 Read\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("8:0 Read 1 2\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("8:0 Read x\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("8:0 Sync -1\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("sda Read 1\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("8:0 Read 1\nTotal\n", 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(blkio("8:0 Write 99999999999999999999\n", 1, &s), -ERANGE);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

static void test_oom_control(void)
{
	struct cg_stats s;

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(oom_control(host_oom_control, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_OOM | CGS_HAVE_OOM_KILL);
	CU_ASSERT_EQUAL(s.oom, 0);
	CU_ASSERT_EQUAL(s.oom_kill, 0);
	CU_ASSERT_EQUAL(oom_control("oom_kill_disable 0\nunder_oom 1\noom_kill 3\n", &s), 0);
	CU_ASSERT_EQUAL(s.oom, 1);
	CU_ASSERT_EQUAL(s.oom_kill, 3);

	/* Before Linux 4.13. */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(oom_control("oom_kill_disable 1\nunder_oom 0\n", &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_OOM);

	poison(&s, sizeof(s));
	CU_ASSERT_EQUAL(oom_control("oom_kill_disable 0\nunder_oom 0\noom_kill 3x\n", &s),
			-EINVAL);
	CU_ASSERT(poisoned(&s, sizeof(s)));
}

/* Parse or reject, never crash, never half-write. */
static void check_all(const char *p, int ios)
{
	struct cg_stats s;
	struct cg_psi ps;
	uint64_t v;

	poison(&s, sizeof(s));
	if (cgstat_parse_cpu_stat(p, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&s, sizeof(s));
	if (cgstat_parse_memory_events(p, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&s, sizeof(s));
	if (cgstat_parse_io_stat(p, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&s, sizeof(s));
	if (cgstat_parse_blkio(p, ios, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&s, sizeof(s));
	if (cgstat_parse_oom_control(p, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&s, sizeof(s));
	if (cgstat_parse_cpuacct_stat(p, 100, &s))
		CU_ASSERT(poisoned(&s, sizeof(s)));
	poison(&ps, sizeof(ps));
	if (cgstat_parse_psi(p, &ps))
		CU_ASSERT(poisoned(&ps, sizeof(ps)));
	poison(&v, sizeof(v));
	if (cgstat_parse_u64(p, &v))
		CU_ASSERT(poisoned(&v, sizeof(v)));
}

/* Every proper prefix of every sample, and random text made of the bytes
 * these files are made of. */
static void test_hostile(void)
{
	static const char *const samples[] = {
		host_cpu_stat,	   v2_cpu_stat,	      v1_cpu_stat,	 v2_memory_events,
		v2_io_stat,	   host_cpu_pressure, host_io_pressure, host_memory_pressure,
		host_cpuacct_stat, host_oom_control,  v1_blkio_bytes,	 v1_blkio_ios,
	};
	static const char alphabet[] = "0123456789 \t\n:=.-abcdefmorstuwxTRWS";
	unsigned int seed = 4242;
	size_t i, cut, len;
	char *p;
	int j;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		for (cut = 0; cut <= strlen(samples[i]); cut++) {
			p = malloc(cut + 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			memcpy(p, samples[i], cut);
			p[cut] = '\0';
			check_all(p, (int)(cut & 1));
			free(p);
		}
	}
	for (j = 0; j < 20000; j++) {
		len = (size_t)(rand_r(&seed) % 200);
		p = malloc(len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (i = 0; i < len; i++)
			p[i] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
		p[len] = '\0';
		check_all(p, j & 1);
		free(p);
	}
}

static char tmpdir[64];

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void sub(char *out, size_t len, const char *dir)
{
	snprintf(out, len, "%s/%s", tmpdir, dir);
	if (mkdir(out, 0700) && errno != EEXIST)
		CU_FAIL_FATAL("mkdir");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_read_v2(void)
{
	char v2[128], psi_only[128], path[128], *lines;
	struct cg_stats s;
	size_t off = 0;
	int i;

	sub(v2, sizeof(v2), "v2");
	put("v2", "cpu.stat", v2_cpu_stat);
	put("v2", "memory.current", "29671424\n");
	/* no memory.peak: kernels before 5.19 */
	put("v2", "memory.max", "max\n");
	put("v2", "memory.events", v2_memory_events);
	put("v2", "cpu.pressure", host_cpu_pressure);
	put("v2", "io.pressure", host_io_pressure);
	put("v2", "memory.pressure", "garbage\n");
	/* Many devices: more than one read() of a small buffer's worth. */
	lines = malloc(CGS_FILE_MAX + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lines);
	for (i = 0; i < 600; i++)
		off += (size_t)snprintf(lines + off, CGS_FILE_MAX - off,
					"259:%d rbytes=1000 wbytes=10 rios=2 wios=1 "
					"dbytes=0 dios=0\n",
					i);
	CU_ASSERT_FATAL(off > 32768 && off < CGS_FILE_MAX);
	put("v2", "io.stat", lines);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v2(v2, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES | CGS_HAVE_THROTTLE |
					CGS_HAVE_MEM | CGS_HAVE_MEM_LIMIT | CGS_HAVE_MEM_EVENTS |
					CGS_HAVE_OOM | CGS_HAVE_OOM_KILL | CGS_HAVE_IO_BYTES |
					CGS_HAVE_IO_IOS | CGS_HAVE_PSI_CPU | CGS_HAVE_PSI_IO);
	CU_ASSERT_EQUAL(s.bad, CGS_HAVE_PSI_MEM);
	CU_ASSERT_EQUAL(s.cpu_usage_us, 1234567);
	CU_ASSERT_EQUAL(s.throttled_us, 35000);
	CU_ASSERT_EQUAL(s.mem_current, 29671424);
	CU_ASSERT_EQUAL(s.mem_limit, UINT64_MAX);
	CU_ASSERT_EQUAL(s.mem_events_max, 12);
	CU_ASSERT_EQUAL(s.oom_kill, 1);
	CU_ASSERT_EQUAL(s.io_rbytes, 600 * 1000);
	CU_ASSERT_EQUAL(s.io_wios, 600);
	CU_ASSERT_EQUAL(s.psi_cpu.some_us, 480146027);
	CU_ASSERT_EQUAL(s.psi_io.full_us, 65774336);

	/* CGS_FILE_MAX - 1 bytes fit (with the NUL); one more is refused, not cut short. */
	memset(lines + off, '\n', CGS_FILE_MAX - off);
	lines[CGS_FILE_MAX - 1] = '\0';
	put("v2", "io.stat", lines);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v2(v2, &s), 0);
	CU_ASSERT(s.have & CGS_HAVE_IO_BYTES);
	CU_ASSERT_EQUAL(s.io_rbytes, 600 * 1000);
	lines[CGS_FILE_MAX - 1] = '\n';
	lines[CGS_FILE_MAX] = '\0';
	put("v2", "io.stat", lines);
	put("v2", "memory.max", "1073741824\n");
	put("v2", "memory.peak", "-1\n");
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v2(v2, &s), 0);
	CU_ASSERT_EQUAL(s.bad, CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS | CGS_HAVE_MEM_PEAK |
				       CGS_HAVE_PSI_MEM);
	CU_ASSERT_FALSE(s.have & (CGS_HAVE_IO_BYTES | CGS_HAVE_MEM_PEAK));
	CU_ASSERT_EQUAL(s.mem_limit, 1073741824);
	free(lines);

	/* A hybrid host's v2 tree: cpu.stat and PSI, nothing else. */
	sub(psi_only, sizeof(psi_only), "unified");
	put("unified", "cpu.stat", host_cpu_stat);
	put("unified", "cpu.pressure", host_cpu_pressure);
	put("unified", "io.pressure", host_io_pressure);
	put("unified", "memory.pressure", host_memory_pressure);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_psi(psi_only, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_PSI_CPU | CGS_HAVE_PSI_IO | CGS_HAVE_PSI_MEM);
	CU_ASSERT_EQUAL(s.bad, 0);
	CU_ASSERT_EQUAL(s.psi_mem.some_us, 34224);
	CU_ASSERT_EQUAL(s.psi_mem.full_us, 22164);

	snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v2(path, &s), -ENOENT);
	CU_ASSERT_EQUAL(cgstat_read_psi(path, &s), -ENOENT);
	snprintf(path, sizeof(path), "%s/v2/cpu.stat", tmpdir);
	CU_ASSERT_EQUAL(cgstat_read_v2(path, &s), -ENOTDIR);
	CU_ASSERT_EQUAL(s.have, 0);
	CU_ASSERT_EQUAL(s.bad, 0);
}

static void test_read_v1(void)
{
	char cpu[128], mem[128], blk[128], path[128];
	struct cg_stats s;
	long hz = sysconf(_SC_CLK_TCK);

	sub(cpu, sizeof(cpu), "cpu,cpuacct");
	sub(mem, sizeof(mem), "memory");
	sub(blk, sizeof(blk), "blkio");
	put("cpu,cpuacct", "cpuacct.usage", "5390964513703\n");
	put("cpu,cpuacct", "cpuacct.stat", host_cpuacct_stat);
	put("cpu,cpuacct", "cpu.stat", v1_cpu_stat);
	put("memory", "memory.usage_in_bytes", "29671424\n");
	put("memory", "memory.max_usage_in_bytes", "5874708480\n");
	put("memory", "memory.limit_in_bytes", "9223372036854771712\n");
	put("memory", "memory.failcnt", "17\n");
	put("memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put("blkio", "blkio.throttle.io_service_bytes_recursive", v1_blkio_bytes);
	put("blkio", "blkio.throttle.io_service_bytes", "Total 0\n");
	/* No io_serviced_recursive: the plain file is used. */
	put("blkio", "blkio.throttle.io_serviced", v1_blkio_ios);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v1(cpu, mem, blk, &s), 0);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES | CGS_HAVE_THROTTLE |
					CGS_HAVE_MEM | CGS_HAVE_MEM_PEAK | CGS_HAVE_MEM_LIMIT |
					CGS_HAVE_MEM_EVENTS | CGS_HAVE_OOM | CGS_HAVE_OOM_KILL |
					CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);
	CU_ASSERT_EQUAL(s.bad, 0);
	CU_ASSERT_EQUAL(s.cpu_usage_us, 5390964513ull);
	CU_ASSERT_EQUAL(s.cpu_user_us, 308361ull * 1000000 / (uint64_t)hz);
	CU_ASSERT_EQUAL(s.cpu_system_us, 230735ull * 1000000 / (uint64_t)hz);
	CU_ASSERT_EQUAL(s.nr_throttled, 12);
	CU_ASSERT_EQUAL(s.throttled_us, 4500123);
	CU_ASSERT_EQUAL(s.mem_current, 29671424);
	CU_ASSERT_EQUAL(s.mem_peak, 5874708480ull);
	CU_ASSERT_EQUAL(s.mem_limit, UINT64_MAX);
	CU_ASSERT_EQUAL(s.mem_events_max, 17);
	CU_ASSERT_EQUAL(s.oom, 0);
	CU_ASSERT_EQUAL(s.oom_kill, 3);
	CU_ASSERT_EQUAL(s.io_rbytes, 1228800 + 10240);
	CU_ASSERT_EQUAL(s.io_wbytes, 40960);
	CU_ASSERT_EQUAL(s.io_rios, 303);
	CU_ASSERT_EQUAL(s.io_wios, 10);

	/* A real limit stays; one directory missing, the others still read. */
	put("memory", "memory.limit_in_bytes", "8589934592\n");
	put("memory", "memory.failcnt", "max\n");
	snprintf(path, sizeof(path), "%s/nonexistent", tmpdir);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v1(path, mem, NULL, &s), -ENOENT);
	CU_ASSERT_EQUAL(s.have, CGS_HAVE_MEM | CGS_HAVE_MEM_PEAK | CGS_HAVE_MEM_LIMIT |
					CGS_HAVE_OOM | CGS_HAVE_OOM_KILL);
	CU_ASSERT_EQUAL(s.bad, CGS_HAVE_MEM_EVENTS);
	CU_ASSERT_EQUAL(s.mem_limit, 8589934592ull);

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(cgstat_read_v1(NULL, NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.have, 0);
}

static int readers_init(void)
{
	strcpy(tmpdir, "/tmp/sexec-cgstat-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int readers_clean(void)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The hierarchy of a controller: whole words of the super options only, and never v2. */
static void test_mount_of(void)
{
	struct cg_hier h[4] = {
		{ .v2 = 1, .opts = "rw,memory", .mount = "/sys/fs/cgroup/unified" },
		{ .v2 = 0, .opts = "rw,cpu,cpuacct", .mount = "/sys/fs/cgroup/cpu,cpuacct" },
		{ .v2 = 0, .opts = "rw,memory", .mount = "/sys/fs/cgroup/memory" },
		{ .v2 = 0, .opts = "rw,net_cls,net_prio", .mount = "/sys/fs/cgroup/net_cls" },
	};

	CU_ASSERT_STRING_EQUAL(cgroup_mount_of(h, 4, "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
	CU_ASSERT_STRING_EQUAL(cgroup_mount_of(h, 4, "cpu"), "/sys/fs/cgroup/cpu,cpuacct");
	CU_ASSERT_STRING_EQUAL(cgroup_mount_of(h, 4, "memory"), "/sys/fs/cgroup/memory");
	CU_ASSERT_PTR_NULL(cgroup_mount_of(h, 4, "net"));
	CU_ASSERT_PTR_NULL(cgroup_mount_of(h, 4, "blkio"));
	CU_ASSERT_PTR_NULL(cgroup_mount_of(h, 1, "memory"));
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("parse", NULL, NULL);
	CU_add_test(s, "one number or max", test_u64);
	CU_add_test(s, "the hierarchy of a controller", test_mount_of);
	CU_add_test(s, "cpu.stat v2 and v1", test_cpu_stat);
	CU_add_test(s, "memory.events", test_memory_events);
	CU_add_test(s, "io.stat", test_io_stat);
	CU_add_test(s, "pressure", test_psi);
	CU_add_test(s, "cpuacct.stat", test_cpuacct_stat);
	CU_add_test(s, "blkio.throttle", test_blkio);
	CU_add_test(s, "memory.oom_control", test_oom_control);
	CU_add_test(s, "prefixes and random text", test_hostile);
	s = CU_add_suite("read", readers_init, readers_clean);
	CU_add_test(s, "v2 and PSI directories", test_read_v2);
	CU_add_test(s, "v1 directories", test_read_v1);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
