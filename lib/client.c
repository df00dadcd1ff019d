// SPDX-License-Identifier: GPL-2.0-or-later
/* Client side of the collector socket, for the SPANK plugin and
 * `sexecd --stats`: one request, one reply, bounded by a timeout. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sexec/proto.h"

static int client_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

int client_request(const char *path, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
		   int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec deadline;
	struct pollfd pfd;
	struct timeval tv;
	ssize_t n;
	int fd, err, left;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* One deadline for connect, send and the reply together: a job waits
	 * at most timeout_ms however the collector is stuck. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A hung collector stops accepting and its backlog fills: bound the
	 * connect and send too, not only the wait for the reply. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	left = client_ms_left(&deadline);
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000 + (left ? 0 : 1000);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, req, len, MSG_NOSIGNAL) < 0) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, client_ms_left(&deadline)) != 1) {
		err = -ETIMEDOUT;
		goto out;
	}
	n = recv(fd, reply, cap, MSG_DONTWAIT);
	err = n < 0 ? -errno : (int)n;
out:
	close(fd);
	return err;
}

int client_send(const char *path, uint16_t type, uint32_t seq, const struct sexec_step_info *s,
		const struct sexec_task_info *t, const int32_t *status, int timeout_ms, char *why,
		size_t whylen)
{
	uint8_t req[SEXEC_MSG_MAX], reply[SEXEC_MSG_MAX];
	struct sexec_msg *m;
	struct sexec_enc e;
	const char *bad;
	int n, err;

	snprintf(why, whylen, "%s", "");
	proto_enc_init(&e, req, sizeof(req), type, seq);
	proto_put_step(&e, s);
	if (t)
		proto_put_task(&e, t);
	if (status)
		proto_put_i32(&e, SEXEC_T_STATUS, *status);
	n = proto_enc_finish(&e);
	if (n < 0)
		return n;
	n = client_request(path, req, (size_t)n, reply, sizeof(reply), timeout_ms);
	if (n < 0)
		return n;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = proto_decode(reply, (size_t)n, m, &bad);
	if (err) {
		snprintf(why, whylen, "undecodable reply: %s", bad);
	} else if (m->type != SEXEC_MSG_ACK) {
		snprintf(why, whylen, "%s", m->text[0] ? m->text : "no reason given");
		err = m->status < 0 ? m->status : -EPROTO;
	}
	free(m);
	return err;
}
