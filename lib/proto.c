// SPDX-License-Identifier: GPL-2.0-or-later
/* Encoder and strict decoder of the plugin <-> collector wire format
 * (include/sexec/proto.h). The decoder faces untrusted bytes: it never reads
 * past the datagram and rejects anything malformed with a reason. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sexec/proto.h"

void proto_enc_init(struct sexec_enc *e, uint8_t *buf, size_t cap, uint16_t type, uint32_t seq)
{
	struct sexec_wire_hdr h = { SEXEC_PROTO_MAGIC, SEXEC_PROTO_VERSION, type, 0, seq };

	e->buf = buf;
	e->cap = cap;
	e->len = sizeof(h);
	e->err = cap < sizeof(h) ? -EMSGSIZE : 0;
	if (!e->err)
		memcpy(buf, &h, sizeof(h));
}

static void proto_put(struct sexec_enc *e, uint16_t tag, const void *v, size_t len)
{
	uint16_t t[2] = { tag, (uint16_t)len };

	if (e->err)
		return;
	if (len > 0xffff || e->len + sizeof(t) + len > e->cap) {
		e->err = -EMSGSIZE;
		return;
	}
	memcpy(e->buf + e->len, t, sizeof(t));
	memcpy(e->buf + e->len + sizeof(t), v, len);
	e->len += sizeof(t) + len;
}

void proto_put_u32(struct sexec_enc *e, uint16_t tag, uint32_t v)
{
	proto_put(e, tag, &v, sizeof(v));
}

void proto_put_u64(struct sexec_enc *e, uint16_t tag, uint64_t v)
{
	proto_put(e, tag, &v, sizeof(v));
}

void proto_put_i32(struct sexec_enc *e, uint16_t tag, int32_t v)
{
	proto_put(e, tag, &v, sizeof(v));
}

void proto_put_str(struct sexec_enc *e, uint16_t tag, const char *s)
{
	size_t n = strlen(s);

	if (n > SEXEC_STR_MAX) {
		e->err = -EMSGSIZE;
		return;
	}
	proto_put(e, tag, s, n);
}

int proto_enc_finish(struct sexec_enc *e)
{
	uint32_t len = (uint32_t)e->len;

	if (e->err)
		return e->err;
	memcpy(e->buf + offsetof(struct sexec_wire_hdr, length), &len, sizeof(len));
	return (int)len;
}

void proto_put_step(struct sexec_enc *e, const struct sexec_step_info *s)
{
	proto_put_str(e, SEXEC_T_CLUSTER, s->cluster);
	proto_put_str(e, SEXEC_T_NODE, s->node);
	proto_put_u32(e, SEXEC_T_JOB_ID, s->job_id);
	proto_put_u32(e, SEXEC_T_ARRAY_JOB_ID, s->array_job_id);
	proto_put_u32(e, SEXEC_T_ARRAY_TASK_ID, s->array_task_id);
	proto_put_u32(e, SEXEC_T_STEP_ID, s->step_id);
	proto_put_u32(e, SEXEC_T_UID, s->uid);
	proto_put_u32(e, SEXEC_T_GID, s->gid);
	proto_put_str(e, SEXEC_T_USER, s->user);
	proto_put_str(e, SEXEC_T_JOB_NAME, s->job_name);
	proto_put_str(e, SEXEC_T_PARTITION, s->partition);
	proto_put_str(e, SEXEC_T_ACCOUNT, s->account);
	proto_put_u32(e, SEXEC_T_ALLOC_CPUS, s->alloc_cpus);
	proto_put_u64(e, SEXEC_T_ALLOC_MEM_MB, s->alloc_mem_mb);
	proto_put_str(e, SEXEC_T_ALLOC_CORES, s->alloc_cores);
	proto_put_u32(e, SEXEC_T_RESTARTS, s->restarts);
	proto_put_u32(e, SEXEC_T_NNODES, s->nnodes);
	proto_put_u32(e, SEXEC_T_NTASKS, s->ntasks);
	proto_put_str(e, SEXEC_T_PIPELINE, s->pipeline);
	proto_put_str(e, SEXEC_T_RUN, s->run);
	proto_put_str(e, SEXEC_T_LABELS, s->labels);
	proto_put_str(e, SEXEC_T_WORK_DIR, s->work_dir);
}

void proto_put_task(struct sexec_enc *e, const struct sexec_task_info *t)
{
	proto_put_u32(e, SEXEC_T_TASK_ID, t->task_id);
	proto_put_u32(e, SEXEC_T_GTASK_ID, t->gtask_id);
	proto_put_u32(e, SEXEC_T_PID, t->pid);
}

/* Copy a string field: no NUL bytes inside, must fit the destination. */
static int proto_get_str(char *dst, size_t cap, const uint8_t *v, size_t len)
{
	if (len >= cap || memchr(v, '\0', len))
		return -EBADMSG;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

#define GET_FIXED(dst, v, len)                              \
	({                                                  \
		int _rc = (len) == sizeof(dst) ? 0 : -EBADMSG; \
		if (!_rc)                                   \
			memcpy(&(dst), (v), sizeof(dst));   \
		_rc;                                        \
	})

static int proto_get_field(struct sexec_msg *m, uint16_t tag, const uint8_t *v, size_t len)
{
	struct sexec_step_info *s = &m->step;
	struct sexec_task_info *t = &m->task;

	switch (tag) {
	case SEXEC_T_CLUSTER: return proto_get_str(s->cluster, sizeof(s->cluster), v, len);
	case SEXEC_T_NODE: return proto_get_str(s->node, sizeof(s->node), v, len);
	case SEXEC_T_JOB_ID: return GET_FIXED(s->job_id, v, len);
	case SEXEC_T_ARRAY_JOB_ID: return GET_FIXED(s->array_job_id, v, len);
	case SEXEC_T_ARRAY_TASK_ID: return GET_FIXED(s->array_task_id, v, len);
	case SEXEC_T_STEP_ID: return GET_FIXED(s->step_id, v, len);
	case SEXEC_T_UID: return GET_FIXED(s->uid, v, len);
	case SEXEC_T_GID: return GET_FIXED(s->gid, v, len);
	case SEXEC_T_USER: return proto_get_str(s->user, sizeof(s->user), v, len);
	case SEXEC_T_JOB_NAME: return proto_get_str(s->job_name, sizeof(s->job_name), v, len);
	case SEXEC_T_PARTITION: return proto_get_str(s->partition, sizeof(s->partition), v, len);
	case SEXEC_T_ACCOUNT: return proto_get_str(s->account, sizeof(s->account), v, len);
	case SEXEC_T_ALLOC_CPUS: return GET_FIXED(s->alloc_cpus, v, len);
	case SEXEC_T_ALLOC_MEM_MB: return GET_FIXED(s->alloc_mem_mb, v, len);
	case SEXEC_T_ALLOC_CORES: return proto_get_str(s->alloc_cores, sizeof(s->alloc_cores), v, len);
	case SEXEC_T_TASK_ID: return GET_FIXED(t->task_id, v, len);
	case SEXEC_T_GTASK_ID: return GET_FIXED(t->gtask_id, v, len);
	case SEXEC_T_PID: return GET_FIXED(t->pid, v, len);
	case SEXEC_T_STATUS: return GET_FIXED(m->status, v, len);
	case SEXEC_T_RESTARTS: return GET_FIXED(s->restarts, v, len);
	case SEXEC_T_COOKIE: return GET_FIXED(m->cookie, v, len);
	case SEXEC_T_TEXT: return proto_get_str(m->text, sizeof(m->text), v, len);
	case SEXEC_T_NNODES: return GET_FIXED(s->nnodes, v, len);
	case SEXEC_T_NTASKS: return GET_FIXED(s->ntasks, v, len);
	case SEXEC_T_TIME_US: return GET_FIXED(m->time_us, v, len);
	case SEXEC_T_PIPELINE: return proto_get_str(s->pipeline, sizeof(s->pipeline), v, len);
	case SEXEC_T_RUN: return proto_get_str(s->run, sizeof(s->run), v, len);
	case SEXEC_T_LABELS: return proto_get_str(s->labels, sizeof(s->labels), v, len);
	case SEXEC_T_WORK_DIR: return proto_get_str(s->work_dir, sizeof(s->work_dir), v, len);
	default: return 0; /* newer peer: skip what we do not know */
	}
}

int proto_decode(const uint8_t *buf, size_t len, struct sexec_msg *m, const char **why)
{
	struct sexec_wire_hdr h;
	size_t off;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(h)) {
		*why = "shorter than a header";
		return -EBADMSG;
	}
	if (len > SEXEC_MSG_MAX) {
		*why = "longer than the largest message";
		return -EMSGSIZE;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != SEXEC_PROTO_MAGIC) {
		*why = "bad magic";
		return -EBADMSG;
	}
	if (h.version != SEXEC_PROTO_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTO;
	}
	if (h.length != len) {
		*why = "length field does not match the datagram (truncated?)";
		return -EBADMSG;
	}
	m->type = h.type;
	m->seq = h.seq;
	for (off = sizeof(h); off < len;) {
		uint16_t t[2];

		if (len - off < sizeof(t)) {
			*why = "truncated field header";
			return -EBADMSG;
		}
		memcpy(t, buf + off, sizeof(t));
		off += sizeof(t);
		if (t[1] > len - off) {
			*why = "field runs past the end";
			return -EBADMSG;
		}
		if (t[0] == 0 || (t[0] < 64 && SEXEC_HAVE(m, t[0]))) {
			*why = "zero or repeated field";
			return -EBADMSG;
		}
		if (proto_get_field(m, t[0], buf + off, t[1])) {
			*why = "field has the wrong size or holds a NUL";
			return -EBADMSG;
		}
		if (t[0] < 64)
			m->have |= 1ull << t[0];
		off += t[1];
	}
	*why = NULL;
	return 0;
}

int proto_check_task_begin(const struct sexec_msg *m, const char **why)
{
	static const uint16_t need[] = { SEXEC_T_CLUSTER, SEXEC_T_NODE, SEXEC_T_JOB_ID,
					 SEXEC_T_STEP_ID, SEXEC_T_UID, SEXEC_T_USER,
					 SEXEC_T_TASK_ID, SEXEC_T_PID };
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!SEXEC_HAVE(m, need[i])) {
			*why = "task registration lacks a required field";
			return -EBADMSG;
		}
	}
	if (m->task.pid <= 1 || !m->step.node[0] || !m->step.user[0]) {
		*why = "task registration has an empty or impossible value";
		return -EINVAL;
	}
	return 0;
}

int proto_check_step_begin(const struct sexec_msg *m, const char **why)
{
	static const uint16_t need[] = { SEXEC_T_CLUSTER, SEXEC_T_NODE, SEXEC_T_JOB_ID,
					 SEXEC_T_STEP_ID, SEXEC_T_UID, SEXEC_T_USER };
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!SEXEC_HAVE(m, need[i])) {
			*why = "step registration lacks a required field";
			return -EBADMSG;
		}
	}
	if (m->step.step_id != SEXEC_STEP_EXTERN) {
		*why = "only the extern step registers without tasks";
		return -EINVAL;
	}
	if (!m->step.node[0] || !m->step.user[0]) {
		*why = "step registration has an empty value";
		return -EINVAL;
	}
	return 0;
}
