// SPDX-License-Identifier: GPL-2.0-or-later
/* Accepts plugin connections on the collector socket, checks the peer is
 * root (SO_PEERCRED), decodes each datagram and answers ACK or ERR. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sexec/log.h"
#include "sexec/proto.h"
#include "server.h"

#define SERVER_MAX_CLIENTS 1024

struct server {
	int lfd, epfd;
	char path[108];
	struct tracker *t;
	server_stats_fn stats;
	void *arg;
	int nclients;
	struct server_stats st;
};

static int server_mkdirs(const char *path)
{
	char dir[108], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int create_server(struct server **out, const char *path, int epfd, struct tracker *t,
		  server_stats_fn stats, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct server *s;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->epfd = epfd;
	s->t = t;
	s->stats = stats;
	s->arg = arg;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	err = server_mkdirs(path);
	if (err)
		goto fail_free;
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		err = -errno;
		goto fail_free;
	}
	unlink(path); /* a stale socket of a previous run */
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(s->lfd, 128)) {
		err = -errno;
		goto fail_close;
	}
	ev.data.fd = s->lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->lfd, &ev)) {
		err = -errno;
		goto fail_close;
	}
	*out = s;
	return 0;
fail_close:
	close(s->lfd);
fail_free:
	free(s);
	return err;
}

void destroy_server(struct server *s)
{
	if (!s)
		return;
	close(s->lfd);
	unlink(s->path);
	free(s);
}

static void server_drop(struct server *s, int fd)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	s->nclients--;
}

static void server_accept(struct server *s)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		/* Only root (slurmstepd) may register jobs: a user process must
		 * not be able to forge one or hide its own processes. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0) {
			s->st.refused_peers++;
			log_warn("server: refused a connection from uid %d pid %d",
				 len == sizeof(cred) ? (int)cred.uid : -1,
				 len == sizeof(cred) ? (int)cred.pid : -1);
			close(fd);
			continue;
		}
		if (s->nclients >= SERVER_MAX_CLIENTS) {
			log_warn("server: too many clients, refused pid %d", (int)cred.pid);
			close(fd);
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		s->nclients++;
	}
}

static void server_reply(int fd, uint16_t type, uint32_t seq, int32_t status, uint64_t cookie,
			 const char *text)
{
	uint8_t buf[SEXEC_MSG_MAX];
	struct sexec_enc e;
	int n;

	proto_enc_init(&e, buf, sizeof(buf), type, seq);
	proto_put_i32(&e, SEXEC_T_STATUS, status);
	if (cookie)
		proto_put_u64(&e, SEXEC_T_COOKIE, cookie);
	if (text)
		proto_put_str(&e, SEXEC_T_TEXT, text);
	n = proto_enc_finish(&e);
	if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("server: reply not sent: %s", strerror(errno));
}

static void server_dispatch(struct server *s, int fd, const uint8_t *buf, size_t len)
{
	struct sexec_msg *m = malloc(sizeof(*m));
	const char *why = NULL;
	uint64_t cookie = 0;
	char *text = NULL;
	int err;

	if (!m)
		return;
	err = proto_decode(buf, len, m, &why);
	if (!err) {
		switch (m->type) {
		case SEXEC_MSG_TASK_BEGIN:
			err = proto_check_task_begin(m, &why);
			if (!err) {
				err = tracker_add_task(s->t, m, &cookie);
				if (err)
					why = "collector could not track the task";
			}
			break;
		case SEXEC_MSG_STEP_BEGIN: {
			struct ucred cred;
			socklen_t clen = sizeof(cred);

			err = proto_check_step_begin(m, &why);
			if (!err && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
				err = -errno;
				why = "peer credentials unavailable";
			}
			if (!err) {
				err = tracker_add_watch(s->t, m, (uint32_t)cred.pid);
				if (err)
					why = "collector could not watch the step";
			}
			break;
		}
		case SEXEC_MSG_TASK_END:
			if (!SEXEC_HAVE(m, SEXEC_T_JOB_ID) || !SEXEC_HAVE(m, SEXEC_T_STEP_ID) ||
			    !SEXEC_HAVE(m, SEXEC_T_TASK_ID)) {
				err = -EBADMSG;
				why = "task end lacks job, step or task id";
			} else if (tracker_end_task(s->t, m) == -ENOENT) {
				log_debug("server: task end of unregistered job %u", m->step.job_id);
			}
			break;
		case SEXEC_MSG_STEP_END:
			if (!SEXEC_HAVE(m, SEXEC_T_JOB_ID) || !SEXEC_HAVE(m, SEXEC_T_STEP_ID)) {
				err = -EBADMSG;
				why = "step end lacks job or step id";
			} else if (tracker_end_step(s->t, m) == -ENOENT) {
				/* Steps without tasks (extern) or opted out: nothing to close. */
				log_debug("server: step end of unregistered job %u", m->step.job_id);
			}
			break;
		case SEXEC_MSG_STATS:
			text = malloc(SEXEC_STR_MAX + 1);
			if (text)
				s->stats(s->arg, text, SEXEC_STR_MAX + 1);
			break;
		default:
			err = -EPROTO;
			why = "unknown message type";
			break;
		}
	}
	if (err) {
		s->st.rejected++;
		log_warn("server: rejected a message (type %u, %zu bytes): %s",
			 len >= sizeof(struct sexec_wire_hdr) ? m->type : 0, len,
			 why ? why : strerror(-err));
		server_reply(fd, SEXEC_MSG_ERR, m->seq, err, 0, why);
	} else {
		s->st.requests++;
		server_reply(fd, SEXEC_MSG_ACK, m->seq, 0, cookie, text);
	}
	tracker_after_reply(s->t);
	free(text);
	free(m);
}

int server_handle(struct server *s, int fd, uint32_t events)
{
	uint8_t buf[SEXEC_MSG_MAX];
	ssize_t n;

	if (fd == s->lfd) {
		server_accept(s);
		return 1;
	}
	/* On hang-up, still read what the peer sent before it went (a task
	 * or step end from a plugin that gave up waiting). */
	for (;;) {
		/* MSG_TRUNC returns the real size, so oversized datagrams are seen. */
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    (events & (EPOLLHUP | EPOLLERR)))
				server_drop(s, fd);
			return 1;
		}
		if (n == 0) {
			server_drop(s, fd);
			return 1;
		}
		if ((size_t)n > sizeof(buf)) {
			s->st.rejected++;
			log_warn("server: rejected an oversized message (%zd bytes)", n);
			server_reply(fd, SEXEC_MSG_ERR, 0, -EMSGSIZE, 0, "message too large");
			continue;
		}
		server_dispatch(s, fd, buf, (size_t)n);
	}
}

void server_get_stats(struct server *s, struct server_stats *st)
{
	*st = s->st;
}
