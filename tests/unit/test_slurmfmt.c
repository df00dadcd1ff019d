// SPDX-License-Identifier: GPL-2.0-or-later
/* CUnit tests of lib/slurmfmt.c: job selectors, sacct durations, memory sizes, line
 * splitting, JSON escaping and the human-friendly formats, with malformed inputs. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "sexec/slurmfmt.h"

#define ASSERT_DOUBLE(actual, expected) CU_ASSERT_DOUBLE_EQUAL((actual), (expected), 1e-9)

static void test_jobsel_valid(void)
{
	struct slurmfmt_jobsel s;

	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 123);
	CU_ASSERT_FALSE(s.has_array);
	CU_ASSERT_FALSE(s.has_step);

	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123_4", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 123);
	CU_ASSERT_TRUE(s.has_array);
	CU_ASSERT_EQUAL(s.array_task_id, 4);
	CU_ASSERT_FALSE(s.has_step);

	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123.batch", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 123);
	CU_ASSERT_FALSE(s.has_array);
	CU_ASSERT_TRUE(s.has_step);
	CU_ASSERT_STRING_EQUAL(s.step, "batch");

	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123_4.0", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 123);
	CU_ASSERT_TRUE(s.has_array);
	CU_ASSERT_EQUAL(s.array_task_id, 4);
	CU_ASSERT_TRUE(s.has_step);
	CU_ASSERT_STRING_EQUAL(s.step, "0");

	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("7.extern", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.step, "extern");
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("7.interactive", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.step, "interactive");
	/* Leading zeros are normalised so the step joins with sacct's "12". */
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("7.012", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.step, "12");
	/* Array task 0 exists; the largest job id Slurm hands out is accepted. */
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("9_0", &s), 0);
	CU_ASSERT_EQUAL(s.array_task_id, 0);
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("4294967289", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 4294967289u);
	/* A heterogeneous job's component, alone and with a step. */
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123+1", &s), 0);
	CU_ASSERT_EQUAL(s.job_id, 123);
	CU_ASSERT_EQUAL(s.has_het, 1);
	CU_ASSERT_EQUAL(s.het_offset, 1);
	CU_ASSERT_EQUAL(s.has_array, 0);
	CU_ASSERT_EQUAL(s.has_step, 0);
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123+0.batch", &s), 0);
	CU_ASSERT_EQUAL(s.has_het, 1);
	CU_ASSERT_EQUAL(s.het_offset, 0);
	CU_ASSERT_EQUAL(s.has_step, 1);
	CU_ASSERT_STRING_EQUAL(s.step, "batch");
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel("123_4", &s), 0);
	CU_ASSERT_EQUAL(s.has_het, 0);
}

static void test_parse_time(void)
{
	static const char *const bad[] = {
		"", "yesterday", "now-", "now-x", "now-7years", "now7", "2026-13-01", "2026-02-30",
		"2026-1-01", "2026-01-01T25:00", "2026-01-01T10", "2026-01-01 10:00",
		"2026-01-01T10:00:00Z", "1969-12-31", NULL,
	};
	const time_t now = 1800000000;
	struct tm tm = { 0 };
	time_t t = 42;
	size_t i;

	CU_ASSERT_EQUAL(slurmfmt_parse_time("now", now, &t), 0);
	CU_ASSERT_EQUAL(t, now);
	CU_ASSERT_EQUAL(slurmfmt_parse_time("now-7days", now, &t), 0);
	CU_ASSERT_EQUAL(t, now - 7 * 86400);
	CU_ASSERT_EQUAL(slurmfmt_parse_time("now-3h", now, &t), 0);
	CU_ASSERT_EQUAL(t, now - 3 * 3600);
	CU_ASSERT_EQUAL(slurmfmt_parse_time("now+90", now, &t), 0);
	CU_ASSERT_EQUAL(t, now + 90);
	CU_ASSERT_EQUAL(slurmfmt_parse_time("now-2weeks", now, &t), 0);
	CU_ASSERT_EQUAL(t, now - 14 * 86400);
	/* Dates are local time, as sacct reads them. */
	CU_ASSERT_EQUAL(slurmfmt_parse_time("2026-11-24T03:50:07", now, &t), 0);
	localtime_r(&t, &tm);
	CU_ASSERT_EQUAL(tm.tm_year, 126);
	CU_ASSERT_EQUAL(tm.tm_mon, 10);
	CU_ASSERT_EQUAL(tm.tm_mday, 24);
	CU_ASSERT_EQUAL(tm.tm_hour, 3);
	CU_ASSERT_EQUAL(tm.tm_min, 50);
	CU_ASSERT_EQUAL(tm.tm_sec, 7);
	CU_ASSERT_EQUAL(slurmfmt_parse_time("2026-11-24", now, &t), 0);
	localtime_r(&t, &tm);
	CU_ASSERT_EQUAL(tm.tm_hour, 0);
	CU_ASSERT_EQUAL(tm.tm_mday, 24);
	for (i = 0; bad[i]; i++) {
		t = 42;
		if (slurmfmt_parse_time(bad[i], now, &t) != -EINVAL)
			fprintf(stderr, "\ntime '%s' accepted\n", bad[i]);
		CU_ASSERT_EQUAL(t, 42);
	}
}

static void test_hostlist_first(void)
{
	static const char *const cases[][2] = {
		{ "vm", "vm" }, { "n[01-04,07],gpu1", "n01" }, { "r[1-2]n[3-4]", "r1n3" },
		{ "gpu[01-02]-ib", "gpu01-ib" }, { "a,b", "a" }, { "n[7]", "n7" }, { "", "" },
		{ "n[", "n" },
	};
	char out[64], small[4];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		slurmfmt_hostlist_first(cases[i][0], out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, cases[i][1]);
	}
	slurmfmt_hostlist_first("node[100-200]", small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "nod");
}

static void test_jobsel_malformed(void)
{
	static const char *const bad[] = {
		"", "abc", "0", "-1", "+5", " 123", "123 ", "12a", "123_", "_4", "123__4",
		"123_4_5", "123.", ".batch", "123.bogus", "123.-1", "123.0x1", "123.1.2",
		"123_x", "123_[1-5]", "123+", "123+x", "123_1+0", "123+0_1", "123++0", "4294967290", "99999999999999999999",
		"123_99999999999", "123.4294967290",
	};
	struct slurmfmt_jobsel s = { .job_id = 42 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = slurmfmt_parse_jobsel(bad[i], &s);

		if (ret != -EINVAL)
			fprintf(stderr, "\njobsel '%s' gave %d\n", bad[i], ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
	CU_ASSERT_EQUAL(slurmfmt_parse_jobsel(NULL, &s), -EINVAL);
	/* A rejected selector leaves the output alone. */
	CU_ASSERT_EQUAL(s.job_id, 42);
}

static void test_duration_valid(void)
{
	double d = -1;

	CU_ASSERT_EQUAL(slurmfmt_parse_duration("1-02:03:04", &d), 0);
	ASSERT_DOUBLE(d, 93784.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("02:03:04", &d), 0);
	ASSERT_DOUBLE(d, 7384.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("03:04.123", &d), 0);
	ASSERT_DOUBLE(d, 184.123);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("00:00:00", &d), 0);
	ASSERT_DOUBLE(d, 0.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("00:00.001", &d), 0);
	ASSERT_DOUBLE(d, 0.001);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("12:34", &d), 0);
	ASSERT_DOUBLE(d, 754.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("01:00:00.5", &d), 0);
	ASSERT_DOUBLE(d, 3600.5);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("10-00:00:00", &d), 0);
	ASSERT_DOUBLE(d, 864000.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("2-12", &d), 0);
	ASSERT_DOUBLE(d, 216000.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("2-12:30", &d), 0);
	ASSERT_DOUBLE(d, 217800.0);
	/* Hours past a day without a day part: taken as they are. */
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("30:00:00", &d), 0);
	ASSERT_DOUBLE(d, 108000.0);
	CU_ASSERT_EQUAL(slurmfmt_parse_duration("1-02:03:04.5", &d), 0);
	ASSERT_DOUBLE(d, 93784.5);
}

static void test_duration_nodata_and_malformed(void)
{
	static const char *const nodata[] = { "", "Unknown", "UNLIMITED", "Partition_Limit",
					      "INVALID", "None" };
	static const char *const bad[] = {
		"abc", "12", "1:2:3:4", "00:60", "00:00:60", "1-24:00:00", "1-", "-1:00",
		"2-12.5", "2-12:30.5", "12.5", "1:2.", "1:2.x", "01:02:03 ", " 01:02",
		"01::02", ":01", "01:", "1-2-3", "1:-2", "0x10:00",
	};
	double d = 7;
	size_t i;

	for (i = 0; i < sizeof(nodata) / sizeof(nodata[0]); i++)
		CU_ASSERT_EQUAL(slurmfmt_parse_duration(nodata[i], &d), -ENODATA);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = slurmfmt_parse_duration(bad[i], &d);

		if (ret != -EINVAL)
			fprintf(stderr, "\nduration '%s' gave %d\n", bad[i], ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
	CU_ASSERT_EQUAL(slurmfmt_parse_duration(NULL, &d), -ENODATA);
	ASSERT_DOUBLE(d, 7.0);
}

static void test_mem_valid(void)
{
	enum slurmfmt_mem_per per = SLURMFMT_MEM_PER_CPU;
	uint64_t b = 1;

	CU_ASSERT_EQUAL(slurmfmt_parse_mem("4000M", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 4000ull << 20);
	CU_ASSERT_EQUAL(per, SLURMFMT_MEM_TOTAL);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("4G", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 4294967296ull);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("1024K", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 1048576ull);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("0", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("512", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 512);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("16Gn", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 16ull << 30);
	CU_ASSERT_EQUAL(per, SLURMFMT_MEM_PER_NODE);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("16Gc", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 16ull << 30);
	CU_ASSERT_EQUAL(per, SLURMFMT_MEM_PER_CPU);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("1.50G", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 1610612736ull);
	CU_ASSERT_EQUAL(per, SLURMFMT_MEM_TOTAL);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("2.5K", &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 2560);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("1T", &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 1ull << 40);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("3P", &b, NULL), 0);
	CU_ASSERT_EQUAL(b, 3ull << 50);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("0n", &b, &per), 0);
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_EQUAL(per, SLURMFMT_MEM_PER_NODE);
}

static void test_mem_nodata_and_malformed(void)
{
	static const char *const bad[] = {
		"abc", "G", "4X", "4GB", "4Gx", "4Gnn", "-4G", "+4G", " 4G", "4G ", "4 G",
		".5G", "1.G", "4g", "4Mz", "1e3",
	};
	uint64_t b = 99;
	size_t i;

	CU_ASSERT_EQUAL(slurmfmt_parse_mem("", &b, NULL), -ENODATA);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem(NULL, &b, NULL), -ENODATA);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = slurmfmt_parse_mem(bad[i], &b, NULL);

		if (ret != -EINVAL)
			fprintf(stderr, "\nmem '%s' gave %d\n", bad[i], ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("99999999999999999999", &b, NULL), -ERANGE);
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("17179869184G", &b, NULL), -ERANGE);
	CU_ASSERT_EQUAL(b, 99);
	/* The largest value that fits. */
	CU_ASSERT_EQUAL(slurmfmt_parse_mem("18446744073709551615", &b, NULL), 0);
	CU_ASSERT_EQUAL(b, UINT64_MAX);
}

static void test_split(void)
{
	char line[128], *f[18];
	int n;

	strcpy(line, "123|123|job|COMPLETED|0:0\n");
	n = slurmfmt_split(line, '|', f, 5, -1);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_STRING_EQUAL(f[0], "123");
	CU_ASSERT_STRING_EQUAL(f[2], "job");
	CU_ASSERT_STRING_EQUAL(f[4], "0:0");

	/* Empty fields are kept, and "\r\n" is dropped. */
	strcpy(line, "|a||\r\n");
	n = slurmfmt_split(line, '|', f, 5, -1);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_STRING_EQUAL(f[0], "");
	CU_ASSERT_STRING_EQUAL(f[1], "a");
	CU_ASSERT_STRING_EQUAL(f[2], "");
	CU_ASSERT_STRING_EQUAL(f[3], "");

	strcpy(line, "");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 5, -1), 1);
	CU_ASSERT_STRING_EQUAL(f[0], "");

	/* Fewer fields than asked for: the count says so. */
	strcpy(line, "a|b");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 5, 2), 2);

	/* Too many without a text field. */
	strcpy(line, "a|b|c|d");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 3, -1), -E2BIG);
	strcpy(line, "a|b|c|d");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 3, 3), -E2BIG);

	/* A job name with '|' in it stays whole; the fields around it stay in place. */
	strcpy(line, "123|123|my|odd|name|RUNNING|0:0\n");
	n = slurmfmt_split(line, '|', f, 5, 2);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_STRING_EQUAL(f[0], "123");
	CU_ASSERT_STRING_EQUAL(f[1], "123");
	CU_ASSERT_STRING_EQUAL(f[2], "my|odd|name");
	CU_ASSERT_STRING_EQUAL(f[3], "RUNNING");
	CU_ASSERT_STRING_EQUAL(f[4], "0:0");

	/* Text field first or last. */
	strcpy(line, "x|y|z|w");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 3, 0), 3);
	CU_ASSERT_STRING_EQUAL(f[0], "x|y");
	CU_ASSERT_STRING_EQUAL(f[1], "z");
	CU_ASSERT_STRING_EQUAL(f[2], "w");
	strcpy(line, "x|y|z|w");
	CU_ASSERT_EQUAL(slurmfmt_split(line, '|', f, 3, 2), 3);
	CU_ASSERT_STRING_EQUAL(f[0], "x");
	CU_ASSERT_STRING_EQUAL(f[1], "y");
	CU_ASSERT_STRING_EQUAL(f[2], "z|w");
}

static void test_json_escape(void)
{
	char buf[64];
	size_t len = 0;

	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "plain", 5, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "plain");
	CU_ASSERT_EQUAL(len, 5);

	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "a\"b\\c", 5, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "a\\\"b\\\\c");
	CU_ASSERT_EQUAL(len, 7);

	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\n\r\t\b\f", 5, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\n\\r\\t\\b\\f");

	/* Embedded NUL, other control bytes and DEL. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "a\0b\x01\x1f\x7f", 6, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "a\\u0000b\\u0001\\u001f\\u007f");
	CU_ASSERT_EQUAL(len, 26);

	/* Valid UTF-8 passes through: é, €, 😀. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
					     9, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");

	/* Invalid UTF-8: a lone Latin-1 byte, a truncated sequence, an overlong '/', a
	 * surrogate and a code point past U+10FFFF each become replacement characters. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "x\xe9y", 3, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "x\\ufffdy");
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\xe2\x82", 2, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\ufffd\\ufffd");
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\xc0\xaf", 2, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\ufffd\\ufffd");
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\xed\xa0\x80", 3, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\ufffd\\ufffd\\ufffd");
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "\xf4\x90\x80\x80", 4, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "\\ufffd\\ufffd\\ufffd\\ufffd");

	/* Empty input. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, sizeof(buf), "", 0, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(len, 0);
}

static void test_json_escape_small_buffer(void)
{
	char buf[8];
	size_t len = 0;

	/* "ab\"cd" needs 6 bytes: fits exactly with the NUL in 7. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, 7, "ab\"cd", 5, &len), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ab\\\"cd");
	CU_ASSERT_EQUAL(len, 6);
	/* One byte short: cut before the last character, reports the full length. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, 6, "ab\"cd", 5, &len), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(buf, "ab\\\"c");
	CU_ASSERT_EQUAL(len, 6);
	/* Never half an escape: "\u0001" does not fit in what is left after "a". */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(buf, 6, "a\x01zz", 4, &len), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(buf, "a");
	CU_ASSERT_EQUAL(len, 9);
	/* Nothing to write into, but the length is still told. */
	CU_ASSERT_EQUAL(slurmfmt_json_escape(NULL, 0, "abc", 3, &len), -ENOSPC);
	CU_ASSERT_EQUAL(len, 3);
}

static void test_idlist_count(void)
{
	static const char *const bad[] = { "a", "1-", "-1", "3-1", "1,,2", "1,", ",1", "1 2", "1-2-3" };
	size_t i;

	CU_ASSERT_EQUAL(slurmfmt_idlist_count(""), 0);
	CU_ASSERT_EQUAL(slurmfmt_idlist_count("0"), 1);
	CU_ASSERT_EQUAL(slurmfmt_idlist_count("0-1"), 2);
	CU_ASSERT_EQUAL(slurmfmt_idlist_count("0-3,8,10-11"), 7);
	CU_ASSERT_EQUAL(slurmfmt_idlist_count("5,7,9"), 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(slurmfmt_idlist_count(bad[i]), -EINVAL);
}

static void test_hostlist_count(void)
{
	static const char *const bad[] = { "n[", "n[1-", "n[2-1]", "n[a]", "n[1]]", ",n1", "n1,",
					   "n1,,n2", "n[1][2]", "n[1-2" };
	size_t i;

	CU_ASSERT_EQUAL(slurmfmt_hostlist_count(""), 0);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("None assigned"), 0);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("n1"), 1);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("n1,n2"), 2);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("n[01-04,07]"), 5);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("n[01-04,07],gpu1"), 6);
	CU_ASSERT_EQUAL(slurmfmt_hostlist_count("rack[1-2]-ib,login"), 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = slurmfmt_hostlist_count(bad[i]);

		if (ret != -EINVAL)
			fprintf(stderr, "\nhostlist '%s' gave %d\n", bad[i], ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
}

static void test_step_cmp(void)
{
	CU_ASSERT(slurmfmt_step_cmp("batch", "extern") < 0);
	CU_ASSERT(slurmfmt_step_cmp("extern", "interactive") < 0);
	CU_ASSERT(slurmfmt_step_cmp("interactive", "0") < 0);
	CU_ASSERT(slurmfmt_step_cmp("extern", "batch") > 0);
	CU_ASSERT(slurmfmt_step_cmp("batch", "0") < 0);
	CU_ASSERT(slurmfmt_step_cmp("2", "10") < 0);
	CU_ASSERT(slurmfmt_step_cmp("10", "2") > 0);
	CU_ASSERT(slurmfmt_step_cmp("10", "zzz") < 0);
	CU_ASSERT(slurmfmt_step_cmp("pending", "10") > 0);
	CU_ASSERT_EQUAL(slurmfmt_step_cmp("3", "3"), 0);
	CU_ASSERT_EQUAL(slurmfmt_step_cmp("batch", "batch"), 0);
}

static void test_fmt_duration(void)
{
	char b[32];

	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(0.123, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "123ms");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(0, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "0s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(0.000412, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "412us");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(0.00234, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "2.34ms");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(0.9996, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1.00s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(1.5, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1.50s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(12.34, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "12.3s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(59.96, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1m00s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(245, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "4m05s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(7384, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "2h03m04s");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(93784, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1d02h03m");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(NAN, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "-");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(-1, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "-");
	CU_ASSERT_EQUAL(slurmfmt_fmt_duration(7384, b, 4), -ENOSPC);
}

static void test_fmt_bytes(void)
{
	char b[32];

	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(0, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "0 B");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(512, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "512 B");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(1536, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1.5 KiB");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(4000ll << 20, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "3.9 GiB");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(4ll << 30, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "4.0 GiB");
	/* Just under 1 MiB would print as "1024.0 KiB"; it moves up a unit. */
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(1048575, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "1.0 MiB");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(-1, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "-");
	CU_ASSERT_EQUAL(slurmfmt_fmt_bytes(4ll << 30, b, 3), -ENOSPC);
}

static void test_clip(void)
{
	char b[64];

	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "short", 10), 0);
	CU_ASSERT_STRING_EQUAL(b, "short");
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "exactly10!", 10), 0);
	CU_ASSERT_STRING_EQUAL(b, "exactly10!");
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "exactly11!!", 10), 0);
	CU_ASSERT_STRING_EQUAL(b, "exactly...");
	/* Control characters (C0, DEL, C1) and invalid bytes are shown as '?'. */
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "a\tb\x1b[0m\x7f\xc2\x9b\xff", 20), 0);
	CU_ASSERT_STRING_EQUAL(b, "a?b?[0m???");
	/* Width counts characters: four two-byte 'é' fit in width 4. */
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4), 0);
	CU_ASSERT_STRING_EQUAL(b, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4),
			0);
	CU_ASSERT_STRING_EQUAL(b, "\xc3\xa9...");
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "", 10), 0);
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT_EQUAL(slurmfmt_clip(b, sizeof(b), "abc", 3), -EINVAL);
	CU_ASSERT_EQUAL(slurmfmt_clip(b, 4, "abcdef", 10), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(b, "");
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "jobsel valid", test_jobsel_valid },
		{ "jobsel malformed", test_jobsel_malformed },
		{ "sacct times", test_parse_time },
		{ "first host of a hostlist", test_hostlist_first },
		{ "duration valid", test_duration_valid },
		{ "duration nodata and malformed", test_duration_nodata_and_malformed },
		{ "mem valid", test_mem_valid },
		{ "mem nodata and malformed", test_mem_nodata_and_malformed },
		{ "split", test_split },
		{ "json escape", test_json_escape },
		{ "json escape small buffer", test_json_escape_small_buffer },
		{ "hostlist count", test_hostlist_count },
		{ "id list count", test_idlist_count },
		{ "step order", test_step_cmp },
		{ "format duration", test_fmt_duration },
		{ "format bytes", test_fmt_bytes },
		{ "clip", test_clip },
	};
	CU_pSuite suite;
	unsigned int failures;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("slurmfmt", NULL, NULL);
	if (!suite)
		goto fail;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
