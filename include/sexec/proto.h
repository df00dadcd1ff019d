/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wire format between the SPANK plugin (and sexecd --stats) and sexecd:
 * one SOCK_SEQPACKET datagram per message, a fixed header then TLV fields. */
#ifndef SEXEC_PROTO_H
#define SEXEC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "sexec/record.h"

#define SEXEC_PROTO_MAGIC 0x53584331u /* "SXC1" */
#define SEXEC_PROTO_VERSION 1
#define SEXEC_MSG_MAX 8192 /* largest datagram either side accepts */

/* Header, little-endian on the wire (both ends share a host). */
struct sexec_wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length; /* whole message, header included */
	uint32_t seq;    /* echoed in the reply */
};

enum sexec_msg_type {
	SEXEC_MSG_TASK_BEGIN = 1, /* register a task (and its step) before it execs */
	SEXEC_MSG_TASK_END = 2,   /* a task ended, with its status */
	SEXEC_MSG_STEP_END = 3,   /* slurmstepd is done with the step on this node */
	SEXEC_MSG_STATS = 4,      /* ask for the collector's counters */
	SEXEC_MSG_STEP_BEGIN = 5, /* a step without tasks (extern): watch the job's cgroups */
	SEXEC_MSG_STEP_WATCH = 6, /* collector state log only: that extern step is watched */
	SEXEC_MSG_ACK = 0x80,
	SEXEC_MSG_ERR = 0x81,
};

/* TLV tags: u16 tag, u16 len, then len bytes. Integers are fixed width;
 * strings carry no NUL. Unknown tags are skipped so old daemons accept new
 * plugins; a repeated tag is an error. */
enum sexec_tag {
	SEXEC_T_CLUSTER = 1,       /* str */
	SEXEC_T_NODE = 2,          /* str */
	SEXEC_T_JOB_ID = 3,        /* u32 */
	SEXEC_T_ARRAY_JOB_ID = 4,  /* u32 */
	SEXEC_T_ARRAY_TASK_ID = 5, /* u32 */
	SEXEC_T_STEP_ID = 6,       /* u32, Slurm's numbering (batch = 0xfffffffb) */
	SEXEC_T_UID = 7,           /* u32 */
	SEXEC_T_GID = 8,           /* u32 */
	SEXEC_T_USER = 9,          /* str */
	SEXEC_T_JOB_NAME = 10,     /* str */
	SEXEC_T_PARTITION = 11,    /* str */
	SEXEC_T_ACCOUNT = 12,      /* str */
	SEXEC_T_ALLOC_CPUS = 13,   /* u32 */
	SEXEC_T_ALLOC_MEM_MB = 14, /* u64 */
	SEXEC_T_ALLOC_CORES = 15,  /* str, Slurm list format "0-3,8" */
	SEXEC_T_TASK_ID = 16,      /* u32, local task id */
	SEXEC_T_GTASK_ID = 17,     /* u32, global task id (MPI rank) */
	SEXEC_T_PID = 18,          /* u32 */
	SEXEC_T_STATUS = 19,       /* i32: wait status, or -errno in ERR */
	SEXEC_T_RESTARTS = 20,     /* u32 */
	SEXEC_T_COOKIE = 21,       /* u64 */
	SEXEC_T_TEXT = 22,         /* str: error text or stats */
	SEXEC_T_NNODES = 23,       /* u32 */
	SEXEC_T_NTASKS = 24,       /* u32, tasks of the step on all nodes */
	SEXEC_T_TIME_US = 25,      /* u64, Unix µs (collector state file) */
	SEXEC_T_PIPELINE = 26,     /* str */
	SEXEC_T_RUN = 27,          /* str */
	SEXEC_T_LABELS = 28,       /* str, "k=v,k=v" */
	SEXEC_T_WORK_DIR = 29,     /* str */
	SEXEC_T_MAX
};

#define SEXEC_STR_MAX 1024 /* longest string field */

/* A decoded message: every field optional, presence in 'have' (bit = tag). */
struct sexec_msg {
	uint16_t type;
	uint32_t seq;
	uint64_t have;
	struct sexec_step_info step;
	struct sexec_task_info task;
	int32_t status;
	uint64_t cookie;
	uint64_t time_us;
	char text[SEXEC_STR_MAX + 1];
};

#define SEXEC_HAVE(m, tag) (((m)->have >> (tag)) & 1u)

/* Encoder: build into a caller buffer of SEXEC_MSG_MAX bytes. */
struct sexec_enc {
	uint8_t *buf;
	size_t cap, len;
	int err; /* sticky: -EMSGSIZE once something did not fit */
};

void proto_enc_init(struct sexec_enc *e, uint8_t *buf, size_t cap, uint16_t type, uint32_t seq);
void proto_put_u32(struct sexec_enc *e, uint16_t tag, uint32_t v);
void proto_put_u64(struct sexec_enc *e, uint16_t tag, uint64_t v);
void proto_put_i32(struct sexec_enc *e, uint16_t tag, int32_t v);
void proto_put_str(struct sexec_enc *e, uint16_t tag, const char *s);
/* Finish the header; returns the message length or -errno. */
int proto_enc_finish(struct sexec_enc *e);

/* Put every set field of a step / task description. */
void proto_put_step(struct sexec_enc *e, const struct sexec_step_info *s);
void proto_put_task(struct sexec_enc *e, const struct sexec_task_info *t);

/* Decode and validate one datagram. Returns 0 or -EBADMSG / -EPROTO / -EMSGSIZE
 * with a reason in *why (static string). Never reads beyond len. */
int proto_decode(const uint8_t *buf, size_t len, struct sexec_msg *m, const char **why);

/* Check that a TASK_BEGIN carries what the collector needs. */
int proto_check_task_begin(const struct sexec_msg *m, const char **why);

/* Check that a STEP_BEGIN is an extern step with what the collector needs. */
int proto_check_step_begin(const struct sexec_msg *m, const char **why);

/* Client: connect to the collector socket, send one request and wait at most
 * timeout_ms for the reply. Returns the reply length or -errno. */
int client_request(const char *path, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
		   int timeout_ms);
/* Send a step (and optional task and status) message and wait for the answer:
 * 0 on ACK; the refusal's status (or -EPROTO) with its reason in why; -errno
 * when the collector cannot be reached in time. */
int client_send(const char *path, uint16_t type, uint32_t seq, const struct sexec_step_info *s,
		const struct sexec_task_info *t, const int32_t *status, int timeout_ms, char *why,
		size_t whylen);

#endif
