// SPDX-License-Identifier: GPL-2.0-or-later
/* CUnit tests of libsexec's pure logic: the wire codec (including hostile
 * input), the configuration parser, step naming and tool naming. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "sexec/conf.h"
#include "sexec/proto.h"
#include "sexec/record.h"
#include "sexec/tool.h"

static struct sexec_msg msg;

static void fill_step(struct sexec_step_info *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->cluster, "c1");
	strcpy(s->node, "n01");
	s->job_id = 4242;
	s->array_job_id = 4240;
	s->array_task_id = 2;
	s->step_id = SEXEC_STEP_BATCH;
	s->uid = 1001;
	s->gid = 1001;
	strcpy(s->user, "alice");
	strcpy(s->job_name, "rnaseq");
	strcpy(s->partition, "debug");
	strcpy(s->account, "lab");
	s->alloc_cpus = 4;
	s->alloc_mem_mb = 8192;
	strcpy(s->alloc_cores, "0-3");
	s->ntasks = 1;
	s->nnodes = 1;
}

static int encode_task_begin(uint8_t *buf, size_t cap)
{
	struct sexec_step_info s;
	struct sexec_task_info t = { .task_id = 1, .gtask_id = 5, .pid = 31337 };
	struct sexec_enc e;

	fill_step(&s);
	proto_enc_init(&e, buf, cap, SEXEC_MSG_TASK_BEGIN, 77);
	proto_put_step(&e, &s);
	proto_put_task(&e, &t);
	return proto_enc_finish(&e);
}

static void test_proto_roundtrip(void)
{
	uint8_t buf[SEXEC_MSG_MAX];
	const char *why;
	int n = encode_task_begin(buf, sizeof(buf));

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), 0);
	CU_ASSERT_EQUAL(msg.type, SEXEC_MSG_TASK_BEGIN);
	CU_ASSERT_EQUAL(msg.seq, 77);
	CU_ASSERT_STRING_EQUAL(msg.step.cluster, "c1");
	CU_ASSERT_STRING_EQUAL(msg.step.user, "alice");
	CU_ASSERT_STRING_EQUAL(msg.step.alloc_cores, "0-3");
	CU_ASSERT_EQUAL(msg.step.job_id, 4242);
	CU_ASSERT_EQUAL(msg.step.array_job_id, 4240);
	CU_ASSERT_EQUAL(msg.step.array_task_id, 2);
	CU_ASSERT_EQUAL(msg.step.step_id, SEXEC_STEP_BATCH);
	CU_ASSERT_EQUAL(msg.step.alloc_mem_mb, 8192);
	CU_ASSERT_EQUAL(msg.task.pid, 31337);
	CU_ASSERT_EQUAL(msg.task.gtask_id, 5);
	CU_ASSERT_EQUAL(proto_check_task_begin(&msg, &why), 0);
}

static void test_proto_truncated(void)
{
	uint8_t buf[SEXEC_MSG_MAX];
	const char *why;
	int n = encode_task_begin(buf, sizeof(buf)), cut;

	/* Every proper prefix must be rejected without reading past it. */
	for (cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc((size_t)cut + 1);

		memcpy(copy, buf, (size_t)cut);
		CU_ASSERT_NOT_EQUAL(proto_decode(copy, (size_t)cut, &msg, &why), 0);
		free(copy);
	}
}

static void test_proto_bad_header(void)
{
	uint8_t buf[SEXEC_MSG_MAX];
	const char *why;
	int n = encode_task_begin(buf, sizeof(buf));
	uint16_t v = 99;

	buf[0] ^= 0xff;
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EBADMSG);
	buf[0] ^= 0xff;
	memcpy(buf + 4, &v, sizeof(v));
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EPROTO);
	CU_ASSERT_EQUAL(proto_decode(buf, SEXEC_MSG_MAX + 1, &msg, &why), -EMSGSIZE);
}

static void test_proto_hostile_fields(void)
{
	uint8_t buf[256];
	struct sexec_enc e;
	const char *why;
	int n;
	uint32_t len;
	uint8_t raw[] = { 'a', 0, 'b' };

	/* Wrong integer width. */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	proto_put_u64(&e, SEXEC_T_JOB_ID, 5);
	n = proto_enc_finish(&e);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EBADMSG);

	/* Repeated field. */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 5);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 6);
	n = proto_enc_finish(&e);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EBADMSG);

	/* A NUL inside a string. */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	{
		uint16_t t[2] = { SEXEC_T_USER, sizeof(raw) };

		memcpy(buf + e.len, t, sizeof(t));
		memcpy(buf + e.len + sizeof(t), raw, sizeof(raw));
		e.len += sizeof(t) + sizeof(raw);
	}
	n = proto_enc_finish(&e);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EBADMSG);

	/* A field length running past the end. */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 5);
	n = proto_enc_finish(&e);
	buf[sizeof(struct sexec_wire_hdr) + 2] = 200;
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), -EBADMSG);

	/* The length field must match the datagram. */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 5);
	n = proto_enc_finish(&e);
	len = (uint32_t)n + 4;
	memcpy(buf + 8, &len, sizeof(len));
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n + 4, &msg, &why), -EBADMSG);

	/* Unknown tags are skipped (a newer plugin talking to an older daemon). */
	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_END, 1);
	proto_put_u32(&e, 60, 1);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 5);
	n = proto_enc_finish(&e);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), 0);
	CU_ASSERT_EQUAL(msg.step.job_id, 5);
}

static void test_proto_missing_required(void)
{
	uint8_t buf[256];
	struct sexec_enc e;
	const char *why;
	int n;

	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_BEGIN, 1);
	proto_put_u32(&e, SEXEC_T_JOB_ID, 5);
	proto_put_u32(&e, SEXEC_T_PID, 1234);
	n = proto_enc_finish(&e);
	CU_ASSERT_EQUAL(proto_decode(buf, (size_t)n, &msg, &why), 0);
	CU_ASSERT_EQUAL(proto_check_task_begin(&msg, &why), -EBADMSG);
}

static void test_proto_encoder_overflow(void)
{
	uint8_t buf[40];
	struct sexec_enc e;

	proto_enc_init(&e, buf, sizeof(buf), SEXEC_MSG_TASK_BEGIN, 1);
	proto_put_str(&e, SEXEC_T_USER, "a-name-that-does-not-fit-in-forty-bytes");
	CU_ASSERT_EQUAL(proto_enc_finish(&e), -EMSGSIZE);
}

static void test_proto_random_bytes(void)
{
	uint8_t buf[512];
	const char *why;
	unsigned int seed = 12345;
	int i, j, accepted = 0;

	/* Random garbage with a valid header must never crash the decoder. */
	for (i = 0; i < 20000; i++) {
		struct sexec_wire_hdr h = { SEXEC_PROTO_MAGIC, SEXEC_PROTO_VERSION, 1, 0, 0 };
		size_t len = sizeof(h) + (size_t)(rand_r(&seed) % (sizeof(buf) - sizeof(h)));

		h.length = (uint32_t)len;
		memcpy(buf, &h, sizeof(h));
		for (j = sizeof(h); j < (int)len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (proto_decode(buf, len, &msg, &why) == 0)
			accepted++;
	}
	/* Most random TLV streams are malformed. */
	CU_ASSERT(accepted < 20000);
}

static char tmpconf[64];

static int write_conf(const char *text)
{
	FILE *f;
	int fd;

	strcpy(tmpconf, "/tmp/sexec-test-XXXXXX");
	fd = mkstemp(tmpconf);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return 0;
}

static void test_conf_good(void)
{
	struct sexec_conf c;
	char err[256];

	CU_ASSERT_FATAL(write_conf("# comment\n cluster = hpc1 \nnode=n7\n"
				   "db = \"host=/run/pg port=5439 dbname=sexec password=a#b\"\n"
				   "argv_max = 1024 # trailing comment\n\n") == 0);
	CU_ASSERT_EQUAL(conf_load(&c, tmpconf, 1, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.cluster, "hpc1");
	CU_ASSERT_STRING_EQUAL(c.node, "n7");
	CU_ASSERT_STRING_EQUAL(c.db, "host=/run/pg port=5439 dbname=sexec password=a#b");
	CU_ASSERT_EQUAL(c.argv_max, 1024);
	CU_ASSERT_EQUAL(c.flush_ms, 1000); /* default kept */
	CU_ASSERT_STRING_EQUAL(c.socket_path, SEXEC_SOCKET_DEFAULT);
	unlink(tmpconf);
}

static void test_conf_errors(void)
{
	struct sexec_conf c;
	char err[256];

	CU_ASSERT_FATAL(write_conf("cluster = a\nbogus = 1\n") == 0);
	CU_ASSERT_EQUAL(conf_load(&c, tmpconf, 1, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2: unknown key 'bogus'"));
	unlink(tmpconf);

	CU_ASSERT_FATAL(write_conf("argv_max = 10\n") == 0);
	CU_ASSERT_EQUAL(conf_load(&c, tmpconf, 1, err, sizeof(err)), -ERANGE);
	unlink(tmpconf);

	CU_ASSERT_FATAL(write_conf("argv_max = 12abc\n") == 0);
	CU_ASSERT_EQUAL(conf_load(&c, tmpconf, 1, err, sizeof(err)), -ERANGE);
	unlink(tmpconf);

	CU_ASSERT_FATAL(write_conf("just words\n") == 0);
	CU_ASSERT_EQUAL(conf_load(&c, tmpconf, 1, err, sizeof(err)), -EINVAL);
	unlink(tmpconf);

	CU_ASSERT_EQUAL(conf_load(&c, "/nonexistent/sexec.conf", 1, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(conf_load(&c, "/nonexistent/sexec.conf", 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf_set(&c, "socket",
				 "/a/very/long/path/that/is/longer/than/a/unix/socket/can/hold/"
				 "because/sun_path/is/only/108/bytes/long/and/this/one/goes/on/x.sock",
				 err, sizeof(err)),
			-ENAMETOOLONG);
}

static void test_record_steps(void)
{
	char buf[32];
	uint32_t id;

	CU_ASSERT_EQUAL(record_step_name(SEXEC_STEP_BATCH, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "batch");
	CU_ASSERT_EQUAL(record_step_name(SEXEC_STEP_EXTERN, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "extern");
	CU_ASSERT_EQUAL(record_step_name(17, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "17");
	CU_ASSERT_EQUAL(record_step_name(17, buf, 2), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(record_step_parse("interactive", &id), 0);
	CU_ASSERT_EQUAL(id, SEXEC_STEP_INTERACTIVE);
	CU_ASSERT_EQUAL(record_step_parse("3", &id), 0);
	CU_ASSERT_EQUAL(id, 3);
	CU_ASSERT_EQUAL(record_step_parse("3x", &id), -EINVAL);
	CU_ASSERT_EQUAL(record_step_parse("-1", &id), -EINVAL);
	CU_ASSERT_EQUAL(record_step_parse("", &id), -EINVAL);
}

static void tool_check(const char *exe, const char *const *args, const char *want)
{
	char argv[1024], out[256];
	size_t off = 0;

	for (; *args; args++) {
		size_t n = strlen(*args) + 1;

		memcpy(argv + off, *args, n);
		off += n;
	}
	tool_name(exe, argv, off, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, want);
	if (strcmp(out, want))
		fprintf(stderr, "\n  tool_name(%s) = '%s', want '%s'\n", exe, out, want);
}

static void test_tool_names(void)
{
	tool_check("/usr/bin/samtools", (const char *[]){ "samtools", "sort", "-o", "x", NULL },
		   "samtools sort");
	tool_check("/usr/bin/python3",
		   (const char *[]){ "python3", "-u", "/opt/x/run_qc.py", "a", NULL }, "run_qc.py");
	tool_check("/usr/bin/python3.11", (const char *[]){ "python3", "-m", "multiqc", ".", NULL },
		   "multiqc");
	tool_check("/bin/bash", (const char *[]){ "bash", "-c", "echo hi", NULL }, "bash");
	tool_check("/bin/bash", (const char *[]){ "/bin/bash", "step.sh", NULL }, "step.sh");
	tool_check("/bin/true", (const char *[]){ "/bin/true", NULL }, "true");
	tool_check("/usr/bin/gzip", (const char *[]){ "gzip", "-c", NULL }, "gzip");
	tool_check("", (const char *[]){ "/opt/bin/STAR", "--runThreadN", "4", NULL }, "STAR");
	tool_check("/usr/bin/bcftools", (const char *[]){ "bcftools", "--version", NULL },
		   "bcftools");
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("proto", NULL, NULL);
	CU_add_test(s, "round trip", test_proto_roundtrip);
	CU_add_test(s, "every truncation rejected", test_proto_truncated);
	CU_add_test(s, "bad magic, version, size", test_proto_bad_header);
	CU_add_test(s, "hostile fields", test_proto_hostile_fields);
	CU_add_test(s, "missing required fields", test_proto_missing_required);
	CU_add_test(s, "encoder overflow", test_proto_encoder_overflow);
	CU_add_test(s, "random bytes", test_proto_random_bytes);
	s = CU_add_suite("conf", NULL, NULL);
	CU_add_test(s, "good file", test_conf_good);
	CU_add_test(s, "errors name file and line", test_conf_errors);
	s = CU_add_suite("record", NULL, NULL);
	CU_add_test(s, "step names", test_record_steps);
	s = CU_add_suite("tool", NULL, NULL);
	CU_add_test(s, "tool names", test_tool_names);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
