/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's Unix socket: root-only SOCK_SEQPACKET, one request and one
 * reply per datagram, decoded strictly so a bad peer cannot hurt other jobs. */
#ifndef SEXEC_SERVER_H
#define SEXEC_SERVER_H

#include <stdint.h>

#include "tracker.h"

struct server;

/* Builds the text answer to a STATS request. */
typedef void (*server_stats_fn)(void *arg, char *buf, size_t len);

int create_server(struct server **out, const char *path, int epfd, struct tracker *t,
		  server_stats_fn stats, void *arg);
void destroy_server(struct server *s);
/* Handle epoll readiness of fd; returns 1 when fd belonged to the server. */
int server_handle(struct server *s, int fd, uint32_t events);

struct server_stats {
	uint64_t requests, rejected, refused_peers;
};
void server_get_stats(struct server *s, struct server_stats *st);


#endif
