// SPDX-License-Identifier: GPL-2.0-or-later
/* Pure text helpers for the sexec CLI: job selectors, sacct durations, memory sizes and
 * '|'-separated lines in; JSON-escaped strings and human-friendly units out. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/slurmfmt.h"

/* Parse at least one decimal digit at *p, up to max, and leave *p after the digits. Done by
 * hand because strtoul() takes signs and spaces that a job id must not have. */
static int slurmfmt_parse_uint(const char **p, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		if (v > max)
			return -ERANGE;
	}
	*p = s;
	*out = v;
	return 0;
}

int slurmfmt_parse_jobsel(const char *s, struct slurmfmt_jobsel *sel)
{
	struct slurmfmt_jobsel r = { 0 };
	uint64_t v;
	uint32_t step_id;

	if (!s || slurmfmt_parse_uint(&s, SLURMFMT_ID_MAX, &v) || v == 0)
		return -EINVAL;
	r.job_id = (uint32_t)v;
	if (*s == '_') {
		s++;
		if (slurmfmt_parse_uint(&s, SLURMFMT_ID_MAX, &v))
			return -EINVAL;
		r.has_array = 1;
		r.array_task_id = (uint32_t)v;
	} else if (*s == '+') {
		s++;
		if (slurmfmt_parse_uint(&s, SLURMFMT_ID_MAX, &v))
			return -EINVAL;
		r.has_het = 1;
		r.het_offset = (uint32_t)v;
	}
	if (*s == '.') {
		s++;
		if (strlen(s) >= sizeof(r.step) || record_step_parse(s, &step_id))
			return -EINVAL;
		/* Store the canonical spelling so "123.00" joins with the "0" sacct prints. */
		if (record_step_name(step_id, r.step, sizeof(r.step)))
			return -EINVAL;
		r.has_step = 1;
	} else if (*s) {
		return -EINVAL;
	}
	*sel = r;
	return 0;
}

int slurmfmt_parse_time(const char *s, time_t now, time_t *out)
{
	static const struct {
		const char *name;
		int64_t secs;
	} units[] = {
		{ "seconds", 1 }, { "minutes", 60 }, { "hours", 3600 }, { "days", 86400 },
		{ "weeks", 604800 },
	};
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	struct tm tm = { 0 };
	uint64_t v;
	size_t i;
	time_t t;

	if (!s)
		return -EINVAL;
	if (!strncmp(s, "now", 3)) {
		int sign;

		s += 3;
		if (!*s) {
			*out = now;
			return 0;
		}
		if (*s != '-' && *s != '+')
			return -EINVAL;
		sign = *s++ == '-' ? -1 : 1;
		if (slurmfmt_parse_uint(&s, 100000000, &v))
			return -EINVAL;
		/* A unit may be abbreviated down to its first letter, as sacct allows. */
		for (i = 0; *s && i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(units[i].name, s, strlen(s)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		*out = now + sign * (time_t)(v * (uint64_t)(*s ? units[i].secs : 1));
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	s += n;
	if (*s == 'T') {
		if (sscanf(s, "T%2d:%2d%n", &h, &mi, &n) != 2 || n != 6)
			return -EINVAL;
		s += n;
		if (*s == ':') {
			if (sscanf(s, ":%2d%n", &sec, &n) != 1 || n != 3)
				return -EINVAL;
			s += n;
		}
	}
	if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime() moves 30 February to 2 March: such a date is an error. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	*out = t;
	return 0;
}

/* Digits after a decimal point, as frac / scale (nine digits kept at most);
 * at least one digit is required. */
static int slurmfmt_parse_frac(const char **p, uint64_t *frac, uint64_t *scale)
{
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*scale < 1000000000) {
			*frac = *frac * 10 + (uint64_t)(*s - '0');
			*scale *= 10;
		}
	}
	*p = s;
	return 0;
}

int slurmfmt_parse_duration(const char *s, double *secs)
{
	static const char *const nodata[] = { "Unknown", "UNLIMITED", "Partition_Limit",
					      "INVALID", "None", "NONE" };
	uint64_t days = 0, f[3], frac = 0, scale = 1;
	int has_days = 0, n = 0;
	size_t i;

	if (!s || !*s)
		return -ENODATA;
	for (i = 0; i < sizeof(nodata) / sizeof(nodata[0]); i++)
		if (strcmp(s, nodata[i]) == 0)
			return -ENODATA;
	if (strchr(s, '-')) {
		if (slurmfmt_parse_uint(&s, 1000000, &days) || *s != '-')
			return -EINVAL;
		has_days = 1;
		s++;
	}
	for (;;) {
		if (n == 3 || slurmfmt_parse_uint(&s, 100000000, &f[n]))
			return -EINVAL;
		n++;
		if (*s != ':')
			break;
		s++;
	}
	if (*s == '.') {
		/* Only the seconds field has a fraction: MM:SS.mmm or [D-]HH:MM:SS.mmm. */
		if (n == 1 || (has_days && n != 3))
			return -EINVAL;
		s++;
		if (slurmfmt_parse_frac(&s, &frac, &scale))
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	/* A lone number is minutes to Slurm's input parser but seconds in ElapsedRaw: refuse
	 * to guess. */
	if (n == 1 && !has_days)
		return -EINVAL;
	/* Every field after the first counts within the next larger unit. */
	for (i = 1; i < (size_t)n; i++)
		if (f[i] >= 60)
			return -EINVAL;
	if (has_days && f[0] >= 24)
		return -EINVAL;

	if (has_days) {
		double v = (double)days * 86400 + (double)f[0] * 3600;

		if (n > 1)
			v += (double)f[1] * 60;
		if (n > 2)
			v += (double)f[2];
		*secs = v + (double)frac / (double)scale;
	} else if (n == 2) {
		*secs = (double)f[0] * 60 + (double)f[1] + (double)frac / (double)scale;
	} else {
		*secs = (double)f[0] * 3600 + (double)f[1] * 60 + (double)f[2] +
			(double)frac / (double)scale;
	}
	return 0;
}

int slurmfmt_parse_mem(const char *s, uint64_t *bytes, enum slurmfmt_mem_per *per)
{
	static const char units[] = "KMGTP";
	enum slurmfmt_mem_per p = SLURMFMT_MEM_TOTAL;
	uint64_t whole, frac = 0, scale = 1, mult = 1, r;
	const char *u;
	int ret;

	if (!s || !*s)
		return -ENODATA;
	ret = slurmfmt_parse_uint(&s, UINT64_MAX, &whole);
	if (ret)
		return ret;
	if (*s == '.') {
		s++;
		if (slurmfmt_parse_frac(&s, &frac, &scale))
			return -EINVAL;
	}
	if (*s && (u = strchr(units, *s)) != NULL) {
		mult = (uint64_t)1 << (10 * (u - units + 1));
		s++;
	}
	if (*s == 'n' || *s == 'c') {
		p = *s == 'n' ? SLURMFMT_MEM_PER_NODE : SLURMFMT_MEM_PER_CPU;
		s++;
	}
	if (*s)
		return -EINVAL;
	if (whole > UINT64_MAX / mult)
		return -ERANGE;
	r = whole * mult;
	/* The fraction is less than one unit, so a double holds it to well below a byte. */
	if (frac) {
		uint64_t add = (uint64_t)((double)frac * (double)mult / (double)scale + 0.5);

		if (r > UINT64_MAX - add)
			return -ERANGE;
		r += add;
	}
	*bytes = r;
	if (per)
		*per = p;
	return 0;
}

int slurmfmt_split(char *line, char sep, char **fields, size_t nfields, int text_field)
{
	size_t len, count = 1, i, right;
	char *p, *end;

	if (!nfields)
		return -EINVAL;
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (p = line; *p; p++)
		count += *p == sep;

	if (count <= nfields) {
		fields[0] = line;
		for (i = 1, p = line; (p = strchr(p, sep)) != NULL; i++) {
			*p++ = '\0';
			fields[i] = p;
		}
		return (int)count;
	}
	if (text_field < 0 || (size_t)text_field >= nfields)
		return -E2BIG;

	/* Fields before the text field from the left ... */
	p = line;
	for (i = 0; i < (size_t)text_field; i++) {
		fields[i] = p;
		p = strchr(p, sep);
		*p++ = '\0';
	}
	fields[text_field] = p;
	/* ... and the ones after it from the right; what is left in between is the text. */
	end = line + len;
	right = nfields - 1 - (size_t)text_field;
	for (i = nfields - 1; right; right--, i--) {
		char *q = end;

		while (*--q != sep)
			;
		fields[i] = q + 1;
		*q = '\0';
		end = q;
	}
	return (int)nfields;
}

/* Length of the valid UTF-8 sequence at s (2 to 4 bytes), or 0 when s[0] does not start one.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629). */
static size_t slurmfmt_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int slurmfmt_json_escape(char *dst, size_t dstlen, const char *src, size_t srclen,
			 size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, need = 0, wrote = 0;
	int fits = 1;

	while (i < srclen) {
		unsigned char c = s[i];
		const char *piece = (const char *)s + i;
		char esc[8];
		size_t plen = 1, step = 1;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			piece = esc;
			plen = 2;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			static const char short_esc[] = "\nn\rr\tt\bb\ff";

			esc[0] = '\\';
			esc[1] = strchr(short_esc, c)[1];
			piece = esc;
			plen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			piece = esc;
			plen = 6;
		} else if (c >= 0x80) {
			step = slurmfmt_utf8_len(s + i, srclen - i);
			if (step) {
				plen = step;
			} else {
				piece = "\\ufffd";
				plen = 6;
				step = 1;
			}
		}
		/* Once a piece did not fit, write nothing more, so dst never has a gap. */
		if (fits && wrote + plen < dstlen) {
			memcpy(dst + wrote, piece, plen);
			wrote += plen;
		} else {
			fits = 0;
		}
		need += plen;
		i += step;
	}
	if (dstlen)
		dst[wrote] = '\0';
	if (outlen)
		*outlen = need;
	return need < dstlen ? 0 : -ENOSPC;
}

/* Add the sizes of "a-b,c,d-e" up to the terminator end (left at *p). */
static int slurmfmt_ranges(const char **p, char end, uint64_t *count)
{
	const char *s = *p;
	uint64_t lo, hi;

	for (;;) {
		if (slurmfmt_parse_uint(&s, 1000000000, &lo))
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (slurmfmt_parse_uint(&s, 1000000000, &hi) || hi < lo)
				return -EINVAL;
		}
		*count += hi - lo + 1;
		if (*s == end)
			break;
		if (*s != ',')
			return -EINVAL;
		s++;
	}
	*p = s;
	return 0;
}

int slurmfmt_idlist_count(const char *s)
{
	uint64_t count = 0;

	if (!s || !*s)
		return 0;
	if (slurmfmt_ranges(&s, '\0', &count) || count > 0x7fffffff)
		return -EINVAL;
	return (int)count;
}

int slurmfmt_hostlist_count(const char *s)
{
	uint64_t count = 0;

	if (!s || !*s || strcmp(s, "None assigned") == 0)
		return 0;
	while (*s) {
		const char *name = s;

		while (*s && *s != ',' && *s != '[')
			s++;
		if (*s != '[') {
			/* A plain host name. */
			if (s == name)
				return -EINVAL;
			count++;
		} else {
			/* "prefix[a-b,c]suffix": each range adds its size. */
			s++;
			if (slurmfmt_ranges(&s, ']', &count))
				return -EINVAL;
			s++;
			/* Slurm allows a suffix after the brackets, but not a second range. */
			while (*s && *s != ',') {
				if (*s == '[' || *s == ']')
					return -EINVAL;
				s++;
			}
		}
		if (count > 0x7fffffff)
			return -EINVAL;
		if (*s == ',') {
			s++;
			if (!*s)
				return -EINVAL;
		}
	}
	return (int)count;
}

static int slurmfmt_step_rank(const char *s, unsigned long long *num)
{
	static const char *const special[] = { "batch", "extern", "interactive" };
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcmp(s, special[i]) == 0)
			return (int)i;
	if (!*s)
		return 4;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 4;
	*num = strtoull(s, NULL, 10);
	return 3;
}

int slurmfmt_step_cmp(const char *a, const char *b)
{
	unsigned long long na = 0, nb = 0;
	int ra = slurmfmt_step_rank(a, &na), rb = slurmfmt_step_rank(b, &nb);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 3 && na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

int slurmfmt_fmt_duration(double secs, char *buf, size_t len)
{
	unsigned long long t;
	int n;

	/* Most processes of a pipeline live for milliseconds: keep them
	 * readable instead of rounding them to 0.00s. */
	if (isnan(secs) || secs < 0) {
		n = snprintf(buf, len, "-");
	} else if (secs == 0) {
		n = snprintf(buf, len, "0s");
	} else if (secs < 0.0009995) {
		n = snprintf(buf, len, "%.0fus", secs * 1e6);
	} else if (secs < 0.009995) {
		n = snprintf(buf, len, "%.2fms", secs * 1e3);
	} else if (secs < 0.9995) {
		n = snprintf(buf, len, "%.0fms", secs * 1e3);
	} else if (secs < 9.995) {
		n = snprintf(buf, len, "%.2fs", secs);
	} else if (secs < 59.95) {
		n = snprintf(buf, len, "%.1fs", secs);
	} else {
		t = (unsigned long long)(secs + 0.5);
		if (t < 3600)
			n = snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
		else if (t < 86400)
			n = snprintf(buf, len, "%lluh%02llum%02llus", t / 3600, t / 60 % 60,
				     t % 60);
		else
			n = snprintf(buf, len, "%llud%02lluh%02llum", t / 86400, t / 3600 % 24,
				     t / 60 % 60);
	}
	return (n < 0 || (size_t)n >= len) ? -ENOSPC : 0;
}

int slurmfmt_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v;
	int n, u = 0;

	if (bytes < 0) {
		n = snprintf(buf, len, "-");
	} else if (bytes < 1024) {
		n = snprintf(buf, len, "%lld B", (long long)bytes);
	} else {
		/* Move up a unit before "%.1f" would round to 1024.0. */
		for (v = (double)bytes / 1024; v >= 1023.95 && u < 5; u++)
			v /= 1024;
		n = snprintf(buf, len, "%.1f %s", v, unit[u]);
	}
	return (n < 0 || (size_t)n >= len) ? -ENOSPC : 0;
}

/* Bytes of the next printable character at s and whether it is shown as '?'. C0 and C1
 * controls are replaced too: they would move the cursor or start escape sequences. */
static size_t slurmfmt_clip_char(const unsigned char *s, size_t avail, int *replace)
{
	size_t n;

	*replace = 0;
	if (s[0] < 0x20 || s[0] == 0x7f) {
		*replace = 1;
		return 1;
	}
	if (s[0] < 0x80)
		return 1;
	n = slurmfmt_utf8_len(s, avail);
	if (!n || (s[0] == 0xc2 && s[1] < 0xa0)) {
		*replace = 1;
		return n ? n : 1;
	}
	return n;
}

int slurmfmt_clip(char *dst, size_t dstlen, const char *src, size_t width)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t srclen = strlen(src), i, chars = 0, keep, o = 0;
	int rep;

	if (width < 4)
		return -EINVAL;
	if (dstlen)
		dst[0] = '\0';
	for (i = 0; i < srclen; chars++)
		i += slurmfmt_clip_char(s + i, srclen - i, &rep);
	keep = chars <= width ? chars : width - 3;
	for (i = 0; keep; keep--) {
		size_t n = slurmfmt_clip_char(s + i, srclen - i, &rep), w = rep ? 1 : n;

		if (o + w >= dstlen)
			goto nospace;
		if (rep)
			dst[o] = '?';
		else
			memcpy(dst + o, s + i, n);
		o += w;
		i += n;
	}
	if (chars > width) {
		if (o + 3 >= dstlen)
			goto nospace;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return 0;
nospace:
	if (dstlen)
		dst[0] = '\0';
	return -ENOSPC;
}

void slurmfmt_hostlist_first(const char *list, char *out, size_t len)
{
	size_t o = 0;

	while (*list && *list != ',' && o + 1 < len) {
		if (*list == '[') {
			size_t n = strcspn(++list, "-,]");

			while (n-- && o + 1 < len)
				out[o++] = *list++;
			list += strcspn(list, "]");
			if (*list == ']')
				list++;
			continue;
		}
		out[o++] = *list++;
	}
	out[o] = '\0';
}
