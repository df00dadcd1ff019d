// SPDX-License-Identifier: GPL-2.0-or-later
/* Client side of the collector socket, for the SPANK plugin and
 * `sexecd --stats`: one request, one reply, bounded by a timeout. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sexec/proto.h"

int client_request(const char *path, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
		   int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	struct timeval tv;
	ssize_t n;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A hung collector stops accepting and its backlog fills: bound the
	 * connect and send too, not only the wait for the reply. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, len, MSG_NOSIGNAL) < 0) {
		err = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		err = -ETIMEDOUT;
		goto out;
	}
	n = recv(fd, reply, cap, 0);
	err = n < 0 ? -errno : (int)n;
out:
	close(fd);
	return err;
}
