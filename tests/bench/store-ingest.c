// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark of the collector's database path: feeds synthetic process records
 * through collector/store.c (journal, COPY, staging insert), or times its SQL by phase. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sexec/conf.h"
#include "sexec/log.h"
#include "sexec/record.h"
#include "store.h"

#define INGEST_MAX_LINE 65536

static void usage(void)
{
	fprintf(stderr,
		"Usage: store-ingest -j JOB -n ROWS [-r RATE] [-c CLUSTER] [-o KEY=VALUE]...\n"
		"                    [-w TIMEOUT_S]\n"
		"       store-ingest -P -d CONNINFO -b BATCH [-m stage|direct] [-i SQL] [-s SQL]\n"
		"                    < COPY-LINES\n"
		"The first form feeds ROWS made-up process records of one job into the real store\n"
		"(sexec.conf keys with -o, at least db=), all at once or RATE per second, and\n"
		"waits until all are committed. The second replays COPY text lines in batches,\n"
		"each in a transaction, and times each phase: COPY into the store's staging table\n"
		"then the statement -i (by default the store's), or COPY straight into\n"
		"sexec.process (direct: needs a role that bypasses row-level security); -s runs\n"
		"SQL once first.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ru_s(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU time of a process in s, from schedstat (ns, not clock ticks); -1 if gone. */
static double pid_cpu_s(int pid)
{
	char path[64];
	unsigned long long ns;
	FILE *f;
	int ok;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", &ns) == 1;
	fclose(f);
	return ok ? (double)ns / 1e9 : -1;
}

/* xorshift64*: the same records for the same job id on every run. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static uint64_t rnd_in(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* What a bioinformatics-style pipeline step runs: exe, tool, and argv with
 * %d filled by a sample or chromosome number. */
static const struct {
	const char *tool, *exe;
	const char *argv[6];
} ingest_kinds[] = {
	{ "bash", "/usr/bin/bash",
	  { "bash", "-c", "samtools index /scratch/alice/run42/bam/sample_%04d.sorted.bam" } },
	{ "samtools", "/opt/conda/envs/ngs/bin/samtools",
	  { "samtools", "sort", "-@", "4", "-o",
	    "/scratch/alice/run42/bam/sample_%04d.sorted.bam" } },
	{ "bwa", "/opt/conda/envs/ngs/bin/bwa",
	  { "bwa", "mem", "-t", "8", "/ref/GRCh38/GRCh38.primary.fa",
	    "/scratch/alice/run42/reads/s%04d_R1.fastq.gz" } },
	{ "python", "/usr/bin/python3.11",
	  { "python3", "/home/alice/pipeline/bin/filter_variants.py", "--min-qual", "30",
	    "calls/chr%d.vcf.gz" } },
	{ "Rscript", "/usr/lib/R/bin/exec/R",
	  { "Rscript", "--vanilla", "/home/alice/pipeline/bin/plot_coverage.R", "--input",
	    "coverage/sample_%04d.bed.gz" } },
	{ "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
	  { "java", "-Xmx4g", "-jar", "/opt/picard/picard.jar", "MarkDuplicates",
	    "I=/scratch/alice/run42/bam/sample_%04d.bam" } },
	{ "gzip", "/usr/bin/gzip",
	  { "gzip", "-dc", "/scratch/alice/run42/reads/s%04d_R2.fastq.gz" } },
	{ "sort", "/usr/bin/sort",
	  { "sort", "-k1,1", "-k2,2n", "--parallel=2", "-T/scratch/tmp/sort.%d" } },
	{ "awk", "/usr/bin/gawk",
	  { "awk", "-F\\t", "$5 > 30 && $7 == \"PASS\" { n++ } END { print n }",
	    "calls/chr%d.tsv" } },
	{ "cat", "/usr/bin/cat",
	  { "cat", "/scratch/alice/run42/parts/part_%04d.txt", "parts/header.txt",
	    "parts/trailer.txt" } },
};

#define INGEST_NKINDS (sizeof(ingest_kinds) / sizeof(ingest_kinds[0]))

/* One made-up record: argv of 3-6 elements (about 80 bytes), a Nextflow-style
 * work directory, counters in plausible ranges; 1% fail, 0.1% are killed. */
static void ingest_make(struct proc_rec *p, uint64_t i, uint64_t t0_us, char *argv, size_t len,
			char *cwd, size_t cwdlen)
{
	unsigned k = (unsigned)(rnd() % INGEST_NKINDS), a, n = 0, num = (unsigned)rnd_in(1, 9999);
	uint64_t dur = rnd_in(200, 20000000), r = rnd() % 1000, rest;

	for (a = 0; a < 6 && ingest_kinds[k].argv[a]; a++) {
		int w = snprintf(argv + n, len - n, ingest_kinds[k].argv[a],
				 strstr(ingest_kinds[k].argv[a], "chr") ? num % 22 + 1 : num);

		if (w < 0 || (size_t)w + 1 > len - n)
			break;
		n += (unsigned)w + 1;
	}
	snprintf(cwd, cwdlen, "/scratch/alice/run42/work/%02" PRIx64 "/%016" PRIx64 "%014" PRIx64,
		 rnd() & 0xff, rnd(), rnd() >> 8);
	p->pid = (uint32_t)(10000 + i % 4000000);
	p->ppid = (uint32_t)(9000 + i % 1000);
	p->start_us = t0_us + i * 1000 + rnd_in(0, 999);
	p->end_us = p->start_us + dur;
	p->exe = ingest_kinds[k].exe;
	p->tool = ingest_kinds[k].tool;
	p->argv = argv;
	p->argv_len = n;
	p->argv_trunc = 0;
	p->cwd = cwd;
	p->user_us = dur * rnd_in(10, 95) / 100;
	p->sys_us = dur * rnd_in(1, 10) / 100;
	p->total_us = p->user_us + p->sys_us + rnd_in(0, 500);
	p->status = r < 10 ? (r == 0 ? 9 : 1 << 8) : 0;
	p->threads = (uint32_t)rnd_in(1, 8);
	p->rss_peak_kb = rnd_in(1500, 4000000);
	p->read_bytes = rnd_in(0, 1) ? rnd_in(0, 1ULL << 32) : 0;
	p->write_bytes = rnd_in(0, 1ULL << 30);
	p->rchar = p->read_bytes + rnd_in(0, 1 << 20);
	p->wchar = p->write_bytes + rnd_in(0, 1 << 16);
	p->syscr = rnd_in(10, 1000000);
	p->syscw = rnd_in(10, 500000);
	p->vol_ctxsw = rnd_in(1, 100000);
	p->invol_ctxsw = rnd_in(0, 10000);
	p->minflt = rnd_in(100, 1000000);
	p->majflt = rnd_in(0, 50);
	/* Time per state: on CPU, a little run queue, some I/O, the rest asleep. */
	p->has_time = 1;
	p->time_us[0] = p->user_us + p->sys_us;
	p->time_us[1] = dur / 100;
	p->time_us[3] = 0;
	rest = dur > p->time_us[0] + p->time_us[1] ? dur - p->time_us[0] - p->time_us[1] : 0;
	p->time_us[2] = rest / 2;
	p->time_us[4] = rest - rest / 2;
	p->has_net = 1;
	p->net_tx = rnd_in(0, 1) ? rnd_in(0, 1 << 20) : 0;
	p->net_rx = p->net_tx ? rnd_in(0, 1 << 24) : 0;
	p->oom_killed = 0;
}

/* The store's backend, seen from a second connection: its pid, for its CPU time. */
static int ingest_backend_pid(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;
	int pid = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, "SELECT pid FROM pg_stat_activity WHERE application_name = 'sexecd'"
			      " AND datname = current_database() AND pid <> pg_backend_pid()");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			pid = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return pid;
}

/* Wait until the store has committed rows and ops; 0, or -ETIMEDOUT when
 * nothing moved for timeout_s. */
static int ingest_wait(struct store *s, uint64_t rows, uint64_t ops, double timeout_s,
		       struct store_stats *st)
{
	const struct timespec tick = { 0, 1000000 };
	uint64_t last = UINT64_MAX;
	double moved = now_s();

	for (;;) {
		store_get_stats(s, st);
		if (st->rows_written >= rows && st->ops_written >= ops)
			return 0;
		if (st->rows_written + st->ops_written != last) {
			last = st->rows_written + st->ops_written;
			moved = now_s();
		} else if (now_s() - moved > timeout_s) {
			return -ETIMEDOUT;
		}
		nanosleep(&tick, NULL);
	}
}

static int ingest_main(uint32_t job, uint64_t n, double rate, const char *cluster,
		       struct sexec_conf *conf, double timeout_s)
{
	static struct sexec_step_info si;
	struct sexec_task_info ti = { 0, 0, 0 };
	struct store_stats st;
	struct proc_rec p = { 0 };
	struct store *s;
	char argv[512], cwd[256], step[SEXEC_STEP_NAME_MAX];
	uint64_t i, t0_us, folded = 0, ops, queued, failures0, rows_failures;
	double t0, t_put, t1, t2, cpu0, cpu_main0, cpu1, cpu_main1, cpu_main2, be0, be1, t;
	double put_max = 0;
	struct timespec start, next;
	int pid, ret = 0, end_failed = 0;

	snprintf(si.cluster, sizeof(si.cluster), "%s", cluster);
	snprintf(si.node, sizeof(si.node), "%s", conf->node);
	si.job_id = job;
	si.array_task_id = SEXEC_NO_VAL;
	si.step_id = 0;
	si.uid = si.gid = 60001;
	snprintf(si.user, sizeof(si.user), "benchuser");
	snprintf(si.job_name, sizeof(si.job_name), "store-bench-%u", job);
	snprintf(si.partition, sizeof(si.partition), "debug");
	snprintf(si.account, sizeof(si.account), "bench");
	si.alloc_cpus = 2;
	si.alloc_mem_mb = 4096;
	snprintf(si.alloc_cores, sizeof(si.alloc_cores), "0-1");
	si.nnodes = si.ntasks = 1;
	record_step_name(si.step_id, step, sizeof(step));
	ti.pid = 9000;
	t0_us = (uint64_t)time(NULL) * 1000000 - n * 1000 - 30000000;
	rnd_state = 0x9e3779b97f4a7c15ULL ^ job;

	s = create_store(conf);
	if (!s) {
		fprintf(stderr, "store-ingest: create_store failed\n");
		return 1;
	}
	/* Warm-up outside the clock: connect, job, step and task rows. */
	store_put_step_begin(s, &si, step, t0_us - 1000000);
	store_put_task_begin(s, &si, step, &ti, t0_us - 500000);
	ops = 3;
	if (ingest_wait(s, 0, ops, timeout_s, &st)) {
		fprintf(stderr, "store-ingest: the job, step and task rows were not written in "
				"%.0f s (database down, or its schema too old?)\n", timeout_s);
		destroy_store(s);
		return 1;
	}
	pid = ingest_backend_pid(conf->db);
	failures0 = st.db_failures;

	t0 = now_s();
	cpu0 = ru_s(RUSAGE_SELF);
	cpu_main0 = ru_s(RUSAGE_THREAD);
	be0 = pid_cpu_s(pid);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < n; i++) {
		if (rate > 0 && i % 100 == 0) { /* absolute deadlines, 100 rows at a time */
			double off = (double)i / rate;

			next.tv_sec = start.tv_sec + (time_t)off;
			next.tv_nsec = start.tv_nsec + (long)((off - (double)(time_t)off) * 1e9);
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
			       EINTR)
				;
		}
		p.step = &si;
		p.step_name = step;
		p.task_id = 0;
		p.uid = si.uid;
		ingest_make(&p, i, t0_us, argv, sizeof(argv), cwd, sizeof(cwd));
		/* The caller is the collector's event loop: how long can one put
		 * hold it up (the writer thread holds the same lock)? */
		t = now_s();
		if (store_put_process(s, &p) == -ENOSPC)
			folded++;
		t = now_s() - t;
		if (t > put_max)
			put_max = t;
	}
	t_put = now_s();
	cpu_main1 = ru_s(RUSAGE_THREAD);
	store_get_stats(s, &st);
	queued = st.queued;
	if (ingest_wait(s, n - folded, ops, timeout_s, &st)) {
		fprintf(stderr, "store-ingest: stuck at %" PRIu64 " of %" PRIu64 " rows\n",
			st.rows_written, n - folded);
		ret = 1;
	}
	t1 = now_s();
	rows_failures = st.db_failures - failures0;
	/* The writer thread's share: everything but this thread, whose polling
	 * above is the benchmark's, not the collector's. */
	cpu1 = ru_s(RUSAGE_SELF);
	cpu_main2 = ru_s(RUSAGE_THREAD);
	be1 = pid_cpu_s(pid);

	/* Step end as the tracker writes it: task end, step end, per-tool rollup
	 * over the step's rows, totals and cost. Timed on its own. */
	store_put_task_end(s, &si, step, 0, p.end_us + 1000, 0);
	store_put_step_end(s, &si, step, p.end_us + 2000, 0, 0, 1);
	store_put_step_rollup(s, &si, step, p.end_us + 2000, NULL, 0, n, folded);
	ops += 5;
	/* A failing statement here is retried for ever: give up after a while,
	 * and say so, without losing the figures above. */
	if (!ret && ingest_wait(s, n - folded, ops, timeout_s < 30 ? timeout_s : 30, &st)) {
		fprintf(stderr, "store-ingest: the step end was not written\n");
		end_failed = 1;
	}
	t2 = now_s();
	if (be1 < 0 || pid != ingest_backend_pid(conf->db))
		be0 = be1 = -1; /* reconnected: the backend's CPU is unknown */
	{
		double put = cpu_main1 - cpu_main0;
		double writer = (cpu1 - cpu0) - (cpu_main2 - cpu_main0);

		printf("job %u rows %" PRIu64 " rate %.0f batch_rows %u flush_ms %u journal %s"
		       " put_s %.3f put_max_ms %.2f queued_after_put %" PRIu64
		       " wall_s %.3f rows_per_s %.0f"
		       " cpu_us_per_row %.2f put_us_per_row %.2f writer_us_per_row %.2f"
		       " backend_us_per_row %.2f close_s %.3f folded %" PRIu64
		       " rows_folded %" PRIu64 " dropped %" PRIu64 " db_failures %" PRIu64
		       " db_failures_rows %" PRIu64 " journal_errors %" PRIu64 "\n",
		       job, n, rate, conf->batch_rows, conf->flush_ms,
		       conf->spool_dir[0] ? "on" : "off", t_put - t0, 1e3 * put_max, queued,
		       t1 - t0, (double)(n - folded) / (t1 - t0), 1e6 * (put + writer) / n,
		       1e6 * put / n,
		       1e6 * writer / n, be0 >= 0 ? 1e6 * (be1 - be0) / n : -1.0,
		       end_failed ? -1.0 : t2 - t1, folded, st.rows_folded, st.dropped,
		       st.db_failures, rows_failures, st.journal_errors);
	}
	destroy_store(s);
	return ret;
}

/* ---- phase profile: the store's SQL, each phase timed ---- */

static const char profile_cols[] =
	"(cluster, job_id, step, node, pid, start_time, task_id, ppid, end_time, user_name, exe,"
	" argv, argv_truncated, tool, cpu_user_us, cpu_sys_us, exit_code, signal, core_dumped,"
	" threads, rss_peak_kb, read_bytes, write_bytes, rchar, wchar, syscr, syscw, vol_ctxsw,"
	" invol_ctxsw, minflt, majflt, uid, cwd, cpu_total_us)";

static int profile_exec(PGconn *c, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == want;

	if (!ok)
		fprintf(stderr, "store-ingest: '%.60s' failed: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -EIO;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int profile_main(const char *conninfo, size_t batch, int direct, const char *insert_sql,
			const char *pre_sql)
{
	char *line = malloc(INGEST_MAX_LINE), **lines = NULL, copy_sql[1024];
	size_t n = 0, cap = 0, i, b, nb;
	double *ph[4] = { NULL }, tot[4] = { 0 }, cpu[4] = { 0 }, t0, wall0;
	PGresult *r;
	PGconn *c = NULL;
	int pid, k, ret = 1;

	while (line && fgets(line, INGEST_MAX_LINE, stdin)) {
		if (n == cap) {
			char **g = realloc(lines, (cap = cap ? cap * 2 : 65536) * sizeof(*lines));

			if (!g)
				goto out;
			lines = g;
		}
		lines[n] = strdup(line);
		if (!lines[n])
			goto out;
		n++;
	}
	nb = (n + batch - 1) / batch;
	for (k = 0; k < 4; k++) {
		ph[k] = calloc(nb ? nb : 1, sizeof(double));
		if (!ph[k])
			goto out;
	}
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "store-ingest: %s", PQerrorMessage(c));
		goto out;
	}
	if (pre_sql && *pre_sql && profile_exec(c, pre_sql, PGRES_COMMAND_OK))
		goto out;
	/* The store's session setup (store_connect) */
	if (!direct &&
	    profile_exec(c, "CREATE TEMP TABLE IF NOT EXISTS stage_process"
			    " (LIKE sexec.process INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
			 PGRES_COMMAND_OK))
		goto out;
	r = PQexec(c, "SELECT pg_backend_pid()");
	pid = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	snprintf(copy_sql, sizeof(copy_sql), "COPY %s %s FROM STDIN",
		 direct ? "sexec.process" : "stage_process", profile_cols);

	wall0 = now_s();
	for (b = 0; b < nb; b++) {
		double t[5], u[5];

		t[0] = now_s();
		u[0] = pid_cpu_s(pid);
		if (profile_exec(c, "BEGIN", PGRES_COMMAND_OK) ||
		    profile_exec(c, copy_sql, PGRES_COPY_IN))
			goto out;
		for (i = b * batch; i < n && i < (b + 1) * batch; i++)
			if (PQputCopyData(c, lines[i], (int)strlen(lines[i])) != 1)
				goto out;
		if (PQputCopyEnd(c, NULL) != 1)
			goto out;
		while ((r = PQgetResult(c))) {
			int bad = PQresultStatus(r) != PGRES_COMMAND_OK;

			if (bad)
				fprintf(stderr, "store-ingest: COPY failed: %s", PQerrorMessage(c));
			PQclear(r);
			if (bad)
				goto out;
		}
		t[1] = now_s();
		u[1] = pid_cpu_s(pid);
		if (!direct && profile_exec(c, insert_sql, PGRES_COMMAND_OK))
			goto out;
		t[2] = now_s();
		u[2] = pid_cpu_s(pid);
		if (profile_exec(c, "COMMIT", PGRES_COMMAND_OK))
			goto out;
		t[3] = now_s();
		u[3] = pid_cpu_s(pid);
		for (k = 0; k < 3; k++) {
			ph[k][b] = 1e3 * (t[k + 1] - t[k]);
			tot[k] += t[k + 1] - t[k];
			cpu[k] += u[k + 1] - u[k];
		}
		ph[3][b] = 1e3 * (t[3] - t[0]);
	}
	t0 = now_s() - wall0;
	printf("mode %s rows %zu batch %zu batches %zu wall_s %.3f rows_per_s %.0f"
	       " copy_ms_med %.2f insert_ms_med %.2f commit_ms_med %.2f batch_ms_med %.2f"
	       " copy_s %.3f insert_s %.3f commit_s %.3f"
	       " copy_cpu_s %.3f insert_cpu_s %.3f commit_cpu_s %.3f\n",
	       direct ? "direct" : "stage", n, batch, nb, t0, (double)n / t0, median(ph[0], nb),
	       median(ph[1], nb), median(ph[2], nb), median(ph[3], nb), tot[0], tot[1], tot[2],
	       pid > 0 ? cpu[0] : -1.0, pid > 0 ? cpu[1] : -1.0, pid > 0 ? cpu[2] : -1.0);
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "store-ingest: profile run failed\n");
	PQfinish(c);
	for (k = 0; k < 4; k++)
		free(ph[k]);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(line);
	return ret;
}

int main(int argc, char **argv)
{
	struct sexec_conf conf;
	/* store_stage_sql in collector/store.c when this was written */
	const char *insert_sql = "INSERT INTO sexec.process SELECT * FROM stage_process"
				 " ON CONFLICT DO NOTHING; TRUNCATE stage_process";
	const char *cluster = "bench", *conninfo = NULL, *mode = "stage", *pre_sql = NULL;
	char err[256], *eq;
	unsigned long long n = 1000000, job = 0, batch = 5000;
	double timeout_s = 120, rate = 0;
	int opt, profile = 0, queue_set = 0;

	conf_defaults(&conf);
	log_open("store-ingest", 0, LOG_LVL_WARN);
	while ((opt = getopt(argc, argv, "j:n:r:c:o:w:Pd:b:m:i:s:h")) != -1) {
		switch (opt) {
		case 'j':
			job = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'c':
			cluster = optarg;
			break;
		case 'o':
			eq = strchr(optarg, '=');
			if (!eq) {
				usage();
				return 2;
			}
			*eq = '\0';
			if (conf_set(&conf, optarg, eq + 1, err, sizeof(err))) {
				fprintf(stderr, "store-ingest: %s\n", err);
				return 2;
			}
			queue_set |= !strcmp(optarg, "queue_max");
			break;
		case 'w':
			timeout_s = strtod(optarg, NULL);
			break;
		case 'P':
			profile = 1;
			break;
		case 'd':
			conninfo = optarg;
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'i':
			insert_sql = optarg;
			break;
		case 's':
			pre_sql = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (profile) {
		if (!conninfo || !batch || (strcmp(mode, "stage") && strcmp(mode, "direct"))) {
			usage();
			return 2;
		}
		return profile_main(conninfo, (size_t)batch, !strcmp(mode, "direct"), insert_sql,
				    pre_sql);
	}
	if (!job || job > UINT32_MAX || !n || !conf.db[0]) {
		usage();
		return 2;
	}
	/* All rows are queued at once: room for them in memory, so none is folded
	 * for a reason the collector would not meet at this rate. */
	if (!queue_set && n + 1000 > conf.queue_max)
		conf.queue_max = n + 1000 > 100000000 ? 100000000 : (uint32_t)(n + 1000);
	return ingest_main((uint32_t)job, n, rate, cluster, &conf, timeout_s);
}
