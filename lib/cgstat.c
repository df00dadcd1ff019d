// SPDX-License-Identifier: GPL-2.0-or-later
/* A cgroup's CPU, memory, I/O and pressure statistics from its v1 or v2 files.
 * The parsers are strict (a file is taken whole or not at all) and never read
 * past the NUL; the readers only open and read. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sexec/cgstat.h"

/* v1 says "no limit" with LONG_MAX rounded down to a page (9223372036854771712
 * with 4 KiB pages), so the number depends on the page size: take anything
 * past 4 EiB, more than any machine has, as no limit. */
#define CGS_V1_UNLIMITED (1ull << 62)

struct cgs_tok {
	const char *s;
	size_t n;
};

/* The next line of *p, without its '\n', as [*b, *e); 0 at the NUL. */
static int cgs_line(const char **p, const char **b, const char **e)
{
	if (!**p)
		return 0;
	*b = *p;
	*e = *b + strcspn(*b, "\n");
	*p = **e ? *e + 1 : *e;
	return 1;
}

/* The next blank-separated token of [*p, e); 0 when none is left. */
static int cgs_tok(const char **p, const char *e, struct cgs_tok *t)
{
	const char *q = *p;

	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	t->s = q;
	while (q < e && *q != ' ' && *q != '\t')
		q++;
	t->n = (size_t)(q - t->s);
	*p = q;
	return t->n > 0;
}

static int cgs_is(const struct cgs_tok *t, const char *word)
{
	return t->n == strlen(word) && memcmp(t->s, word, t->n) == 0;
}

/* Index of t in keys[], or -1. */
static int cgs_key(const struct cgs_tok *t, const char *const *keys, int nkeys)
{
	int i;

	for (i = 0; i < nkeys; i++)
		if (cgs_is(t, keys[i]))
			return i;
	return -1;
}

/* Split "key=value". */
static int cgs_kv(const struct cgs_tok *t, struct cgs_tok *k, struct cgs_tok *v)
{
	const char *eq = memchr(t->s, '=', t->n);

	if (!eq)
		return -EINVAL;
	k->s = t->s;
	k->n = (size_t)(eq - t->s);
	v->s = eq + 1;
	v->n = t->n - k->n - 1;
	return 0;
}

/* Decimal digits only: strtoull would take "-1", " 1" and "0x1". */
static int cgs_num(const struct cgs_tok *t, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!t->n)
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		unsigned d = (unsigned)((unsigned char)t->s[i] - '0');

		if (d > 9)
			return -EINVAL;
		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static uint64_t cgs_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* "MAJ:MIN", as the blkio and io files name a device. */
static int cgs_is_dev(const struct cgs_tok *t)
{
	const char *c = memchr(t->s, ':', t->n);
	struct cgs_tok maj, min;
	uint64_t v;

	if (!c)
		return 0;
	maj.s = t->s;
	maj.n = (size_t)(c - t->s);
	min.s = c + 1;
	min.n = t->n - maj.n - 1;
	return !cgs_num(&maj, &v) && !cgs_num(&min, &v);
}

/* "key value" lines: the values of keys[] into v[], the indexes found as bits
 * of *seen. A key must not repeat; unknown keys are newer kernels' business. */
static int cgs_flat(const char *buf, const char *const *keys, int nkeys, uint64_t *v,
		    unsigned *seen)
{
	const char *p = buf, *b, *e;

	*seen = 0;
	while (cgs_line(&p, &b, &e)) {
		struct cgs_tok k, val, extra;
		int i, err;

		if (!cgs_tok(&b, e, &k))
			continue;
		i = cgs_key(&k, keys, nkeys);
		if (i < 0)
			continue;
		if (!cgs_tok(&b, e, &val) || cgs_tok(&b, e, &extra) || (*seen & 1u << i))
			return -EINVAL;
		err = cgs_num(&val, &v[i]);
		if (err)
			return err;
		*seen |= 1u << i;
	}
	return 0;
}

int cgstat_parse_cpu_stat(const char *buf, struct cg_stats *s)
{
	enum { USAGE, USER, SYSTEM, NR_THR, THR_US, THR_NS, NKEYS };
	static const char *const keys[NKEYS] = {
		"usage_usec", "user_usec", "system_usec", "nr_throttled", "throttled_usec",
		"throttled_time",
	};
	uint64_t v[NKEYS];
	unsigned seen;
	int err = cgs_flat(buf, keys, NKEYS, v, &seen);

	if (err)
		return err;
	if (seen & 1u << USAGE) {
		s->cpu_usage_us = v[USAGE];
		s->have |= CGS_HAVE_CPU;
	}
	if ((seen & 1u << USER) && (seen & 1u << SYSTEM)) {
		s->cpu_user_us = v[USER];
		s->cpu_system_us = v[SYSTEM];
		s->have |= CGS_HAVE_CPU_TIMES;
	}
	/* v2 says throttled_usec, v1 throttled_time in nanoseconds. */
	if ((seen & 1u << NR_THR) && (seen & (1u << THR_US | 1u << THR_NS))) {
		s->nr_throttled = v[NR_THR];
		s->throttled_us = seen & 1u << THR_US ? v[THR_US] : v[THR_NS] / 1000;
		s->have |= CGS_HAVE_THROTTLE;
	}
	return 0;
}

int cgstat_parse_memory_events(const char *buf, struct cg_stats *s)
{
	enum { MAX, OOM, OOM_KILL, NKEYS };
	static const char *const keys[NKEYS] = { "max", "oom", "oom_kill" };
	uint64_t v[NKEYS];
	unsigned seen;
	int err = cgs_flat(buf, keys, NKEYS, v, &seen);

	if (err)
		return err;
	if (seen & 1u << MAX) {
		s->mem_events_max = v[MAX];
		s->have |= CGS_HAVE_MEM_EVENTS;
	}
	if (seen & 1u << OOM) {
		s->oom = v[OOM];
		s->have |= CGS_HAVE_OOM;
	}
	if (seen & 1u << OOM_KILL) {
		s->oom_kill = v[OOM_KILL];
		s->have |= CGS_HAVE_OOM_KILL;
	}
	return 0;
}

int cgstat_parse_oom_control(const char *buf, struct cg_stats *s)
{
	enum { UNDER_OOM, OOM_KILL, NKEYS };
	static const char *const keys[NKEYS] = { "under_oom", "oom_kill" };
	uint64_t v[NKEYS];
	unsigned seen;
	int err = cgs_flat(buf, keys, NKEYS, v, &seen);

	if (err)
		return err;
	if (seen & 1u << UNDER_OOM) {
		s->oom = v[UNDER_OOM];
		s->have |= CGS_HAVE_OOM;
	}
	if (seen & 1u << OOM_KILL) {
		s->oom_kill = v[OOM_KILL];
		s->have |= CGS_HAVE_OOM_KILL;
	}
	return 0;
}

/* USER_HZ ticks in microseconds, saturating. */
static uint64_t cgs_ticks_us(uint64_t ticks, uint64_t hz)
{
	uint64_t q = ticks / hz, r = ticks % hz;

	if (q > UINT64_MAX / 1000000)
		return UINT64_MAX;
	return cgs_add(q * 1000000, r * 1000000 / hz);
}

int cgstat_parse_cpuacct_stat(const char *buf, long user_hz, struct cg_stats *s)
{
	enum { USER, SYSTEM, NKEYS };
	static const char *const keys[NKEYS] = { "user", "system" };
	uint64_t v[NKEYS];
	unsigned seen;
	int err;

	/* Bounded so that the remainder's scaling cannot overflow. */
	if (user_hz <= 0 || user_hz > 1000000)
		return -EINVAL;
	err = cgs_flat(buf, keys, NKEYS, v, &seen);
	if (err)
		return err;
	if ((seen & 1u << USER) && (seen & 1u << SYSTEM)) {
		s->cpu_user_us = cgs_ticks_us(v[USER], (uint64_t)user_hz);
		s->cpu_system_us = cgs_ticks_us(v[SYSTEM], (uint64_t)user_hz);
		s->have |= CGS_HAVE_CPU_TIMES;
	}
	return 0;
}

int cgstat_parse_io_stat(const char *buf, struct cg_stats *s)
{
	enum { RBYTES, WBYTES, RIOS, WIOS, NKEYS };
	static const char *const keys[NKEYS] = { "rbytes", "wbytes", "rios", "wios" };
	uint64_t sum[NKEYS] = { 0 };
	const char *p = buf, *b, *e;
	int i;

	while (cgs_line(&p, &b, &e)) {
		struct cgs_tok t, k, val;
		uint64_t v[NKEYS];
		unsigned seen = 0;
		int err;

		if (!cgs_tok(&b, e, &t))
			continue;
		if (!cgs_is_dev(&t))
			return -EINVAL;
		/* Other keys (dbytes, iocost's cost.vrate=1.00, iolatency's
		 * avg_lat) need not be numbers at all. */
		while (cgs_tok(&b, e, &t)) {
			if (cgs_kv(&t, &k, &val))
				return -EINVAL;
			i = cgs_key(&k, keys, NKEYS);
			if (i < 0)
				continue;
			if (seen & 1u << i)
				return -EINVAL;
			err = cgs_num(&val, &v[i]);
			if (err)
				return err;
			seen |= 1u << i;
		}
		if (seen != (1u << NKEYS) - 1)
			return -EINVAL;
		for (i = 0; i < NKEYS; i++)
			sum[i] = cgs_add(sum[i], v[i]);
	}
	/* A device shows up only once it has done I/O: no lines is none yet. */
	s->io_rbytes = sum[RBYTES];
	s->io_wbytes = sum[WBYTES];
	s->io_rios = sum[RIOS];
	s->io_wios = sum[WIOS];
	s->have |= CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS;
	return 0;
}

int cgstat_parse_blkio(const char *buf, int ios, struct cg_stats *s)
{
	uint64_t rd = 0, wr = 0;
	const char *p = buf, *b, *e;

	while (cgs_line(&p, &b, &e)) {
		struct cgs_tok dev, op, val, extra;
		uint64_t v;
		int err;

		if (!cgs_tok(&b, e, &dev))
			continue;
		if (cgs_is(&dev, "Total")) {
			/* The sum of every line, Sync and Async too: not ours. */
			if (!cgs_tok(&b, e, &val) || cgs_tok(&b, e, &extra))
				return -EINVAL;
			err = cgs_num(&val, &v);
			if (err)
				return err;
			continue;
		}
		if (!cgs_is_dev(&dev) || !cgs_tok(&b, e, &op) || !cgs_tok(&b, e, &val) ||
		    cgs_tok(&b, e, &extra))
			return -EINVAL;
		err = cgs_num(&val, &v);
		if (err)
			return err;
		/* Sync/Async split the same I/O again, Discard is not data. */
		if (cgs_is(&op, "Read"))
			rd = cgs_add(rd, v);
		else if (cgs_is(&op, "Write"))
			wr = cgs_add(wr, v);
	}
	if (ios) {
		s->io_rios = rd;
		s->io_wios = wr;
		s->have |= CGS_HAVE_IO_IOS;
	} else {
		s->io_rbytes = rd;
		s->io_wbytes = wr;
		s->have |= CGS_HAVE_IO_BYTES;
	}
	return 0;
}

int cgstat_parse_psi(const char *buf, struct cg_psi *psi)
{
	static const char *const kinds[] = { "some", "full" };
	const char *p = buf, *b, *e;
	uint64_t total[2] = { 0, 0 };
	unsigned seen = 0;

	while (cgs_line(&p, &b, &e)) {
		struct cgs_tok t, k, val;
		int i, found = 0, err;

		if (!cgs_tok(&b, e, &t))
			continue;
		i = cgs_key(&t, kinds, 2);
		if (i < 0)
			continue;
		if (seen & 1u << i)
			return -EINVAL;
		/* The avg* are decimals we do not keep; total= is what adds up. */
		while (cgs_tok(&b, e, &t)) {
			if (cgs_kv(&t, &k, &val))
				return -EINVAL;
			if (!cgs_is(&k, "total"))
				continue;
			if (found)
				return -EINVAL;
			err = cgs_num(&val, &total[i]);
			if (err)
				return err;
			found = 1;
		}
		if (!found)
			return -EINVAL;
		seen |= 1u << i;
	}
	if (!(seen & 1u))
		return -EINVAL;
	psi->some_us = total[0];
	psi->full_us = total[1];
	return 0;
}

/* One number (or "max" when allow_max) and at most a newline. */
static int cgs_value(const char *buf, int allow_max, uint64_t *v)
{
	struct cgs_tok t = { buf, strcspn(buf, "\n") };

	if (buf[t.n] == '\n' && buf[t.n + 1])
		return -EINVAL;
	if (allow_max && cgs_is(&t, "max")) {
		*v = UINT64_MAX;
		return 0;
	}
	return cgs_num(&t, v);
}

int cgstat_parse_u64(const char *buf, uint64_t *v)
{
	return cgs_value(buf, 1, v);
}

struct cgs_reader {
	int dfd;
	char *buf; /* CGS_FILE_MAX bytes */
	struct cg_stats *s;
};

/* A whole file into buf, NUL-terminated: the kernel may hand a seq_file
 * over in pieces. -EFBIG when it does not fit. */
static int cgs_slurp(int dfd, const char *name, char *buf, size_t cap)
{
	size_t len = 0;
	int fd, err = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			err = -EFBIG; /* no room left for the NUL */
			len--;
			break;
		}
	}
	buf[len] = '\0';
	close(fd);
	return err;
}

/* name into r->buf. 0; -ENOENT when it is not there, which is no error (an
 * older kernel, a controller not enabled); any other -errno marks bits bad. */
static int cgs_load(struct cgs_reader *r, const char *name, unsigned bits)
{
	int err = cgs_slurp(r->dfd, name, r->buf, CGS_FILE_MAX);

	/* Pressure files of a kernel booted with psi=0 exist but do not read. */
	if (err == -EOPNOTSUPP)
		err = -ENOENT;
	if (err && err != -ENOENT)
		r->s->bad |= bits;
	return err;
}

static void cgs_parsed(struct cgs_reader *r, int err, unsigned bits)
{
	if (err)
		r->s->bad |= bits;
}

static int cgs_load_u64(struct cgs_reader *r, const char *name, unsigned bit, int allow_max,
			uint64_t *v)
{
	int err = cgs_load(r, name, bit);

	if (err)
		return err;
	err = cgs_value(r->buf, allow_max, v);
	cgs_parsed(r, err, bit);
	return err;
}

static int cgs_enter(struct cgs_reader *r, const char *dir)
{
	r->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r->dfd < 0 ? -errno : 0;
}

static int cgs_begin(struct cgs_reader *r, struct cg_stats *s)
{
	r->dfd = -1;
	r->s = s;
	r->buf = malloc(CGS_FILE_MAX); /* not on the stack: SPANK runs inside slurmstepd */
	return r->buf ? 0 : -ENOMEM;
}

static void cgs_psi_file(struct cgs_reader *r, const char *name, unsigned bit, struct cg_psi *psi)
{
	if (cgs_load(r, name, bit))
		return;
	if (cgstat_parse_psi(r->buf, psi))
		r->s->bad |= bit;
	else
		r->s->have |= bit;
}

static void cgs_psi_files(struct cgs_reader *r)
{
	cgs_psi_file(r, "cpu.pressure", CGS_HAVE_PSI_CPU, &r->s->psi_cpu);
	cgs_psi_file(r, "io.pressure", CGS_HAVE_PSI_IO, &r->s->psi_io);
	cgs_psi_file(r, "memory.pressure", CGS_HAVE_PSI_MEM, &r->s->psi_mem);
}

int cgstat_read_v2(const char *dir, struct cg_stats *s)
{
	struct cgs_reader r;
	uint64_t v;
	int err;

	err = cgs_begin(&r, s);
	if (err)
		return err;
	err = cgs_enter(&r, dir);
	if (err)
		goto out;
	if (!cgs_load(&r, "cpu.stat", CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES | CGS_HAVE_THROTTLE))
		cgs_parsed(&r, cgstat_parse_cpu_stat(r.buf, s),
			   CGS_HAVE_CPU | CGS_HAVE_CPU_TIMES | CGS_HAVE_THROTTLE);
	if (!cgs_load_u64(&r, "memory.current", CGS_HAVE_MEM, 0, &v)) {
		s->mem_current = v;
		s->have |= CGS_HAVE_MEM;
	}
	if (!cgs_load_u64(&r, "memory.peak", CGS_HAVE_MEM_PEAK, 0, &v)) {
		s->mem_peak = v;
		s->have |= CGS_HAVE_MEM_PEAK;
	}
	if (!cgs_load_u64(&r, "memory.max", CGS_HAVE_MEM_LIMIT, 1, &v)) {
		s->mem_limit = v;
		s->have |= CGS_HAVE_MEM_LIMIT;
	}
	if (!cgs_load(&r, "memory.events", CGS_HAVE_MEM_EVENTS | CGS_HAVE_OOM | CGS_HAVE_OOM_KILL))
		cgs_parsed(&r, cgstat_parse_memory_events(r.buf, s),
			   CGS_HAVE_MEM_EVENTS | CGS_HAVE_OOM | CGS_HAVE_OOM_KILL);
	if (!cgs_load(&r, "io.stat", CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS))
		cgs_parsed(&r, cgstat_parse_io_stat(r.buf, s), CGS_HAVE_IO_BYTES | CGS_HAVE_IO_IOS);
	cgs_psi_files(&r);
	close(r.dfd);
out:
	free(r.buf);
	return err;
}

int cgstat_read_psi(const char *dir, struct cg_stats *s)
{
	struct cgs_reader r;
	int err;

	err = cgs_begin(&r, s);
	if (err)
		return err;
	err = cgs_enter(&r, dir);
	if (err)
		goto out;
	cgs_psi_files(&r);
	close(r.dfd);
out:
	free(r.buf);
	return err;
}

static void cgs_v1_cpu(struct cgs_reader *r)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t v;

	if (!cgs_load_u64(r, "cpuacct.usage", CGS_HAVE_CPU, 0, &v)) {
		r->s->cpu_usage_us = v / 1000;
		r->s->have |= CGS_HAVE_CPU;
	}
	if (!cgs_load(r, "cpuacct.stat", CGS_HAVE_CPU_TIMES))
		cgs_parsed(r, cgstat_parse_cpuacct_stat(r->buf, hz > 0 ? hz : 100, r->s),
			   CGS_HAVE_CPU_TIMES);
	/* Only there when cpu is mounted together with cpuacct. */
	if (!cgs_load(r, "cpu.stat", CGS_HAVE_THROTTLE))
		cgs_parsed(r, cgstat_parse_cpu_stat(r->buf, r->s), CGS_HAVE_THROTTLE);
}

static void cgs_v1_memory(struct cgs_reader *r)
{
	struct cg_stats *s = r->s;
	uint64_t v;

	if (!cgs_load_u64(r, "memory.usage_in_bytes", CGS_HAVE_MEM, 0, &v)) {
		s->mem_current = v;
		s->have |= CGS_HAVE_MEM;
	}
	if (!cgs_load_u64(r, "memory.max_usage_in_bytes", CGS_HAVE_MEM_PEAK, 0, &v)) {
		s->mem_peak = v;
		s->have |= CGS_HAVE_MEM_PEAK;
	}
	if (!cgs_load_u64(r, "memory.limit_in_bytes", CGS_HAVE_MEM_LIMIT, 0, &v)) {
		s->mem_limit = v >= CGS_V1_UNLIMITED ? UINT64_MAX : v;
		s->have |= CGS_HAVE_MEM_LIMIT;
	}
	if (!cgs_load_u64(r, "memory.failcnt", CGS_HAVE_MEM_EVENTS, 0, &v)) {
		s->mem_events_max = v;
		s->have |= CGS_HAVE_MEM_EVENTS;
	}
	if (!cgs_load(r, "memory.oom_control", CGS_HAVE_OOM | CGS_HAVE_OOM_KILL))
		cgs_parsed(r, cgstat_parse_oom_control(r->buf, s),
			   CGS_HAVE_OOM | CGS_HAVE_OOM_KILL);
}

/* The _recursive file counts the cgroups below too (a job's steps); kernels
 * without it get the cgroup's own I/O only. */
static void cgs_v1_blkio_file(struct cgs_reader *r, const char *recursive, const char *flat,
			      int ios, unsigned bit)
{
	int err = cgs_load(r, recursive, bit);

	if (err == -ENOENT)
		err = cgs_load(r, flat, bit);
	if (!err)
		cgs_parsed(r, cgstat_parse_blkio(r->buf, ios, r->s), bit);
}

static void cgs_v1_blkio(struct cgs_reader *r)
{
	cgs_v1_blkio_file(r, "blkio.throttle.io_service_bytes_recursive",
			  "blkio.throttle.io_service_bytes", 0, CGS_HAVE_IO_BYTES);
	cgs_v1_blkio_file(r, "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced",
			  1, CGS_HAVE_IO_IOS);
}

int cgstat_read_v1(const char *cpuacct_dir, const char *memory_dir, const char *blkio_dir,
		   struct cg_stats *s)
{
	const char *dirs[3] = { cpuacct_dir, memory_dir, blkio_dir };
	void (*readers[3])(struct cgs_reader *) = { cgs_v1_cpu, cgs_v1_memory, cgs_v1_blkio };
	struct cgs_reader r;
	int i, err, ret;

	ret = cgs_begin(&r, s);
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		if (!dirs[i])
			continue;
		err = cgs_enter(&r, dirs[i]);
		if (err) {
			if (!ret)
				ret = err;
			continue;
		}
		readers[i](&r);
		close(r.dfd);
	}
	free(r.buf);
	return ret;
}
