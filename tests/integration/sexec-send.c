// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: send stdin as one raw datagram to the collector socket and
 * print the reply's type and status, to probe how sexecd treats bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sexec/proto.h"

int main(int argc, char **argv)
{
	static uint8_t req[SEXEC_MSG_MAX * 2], reply[SEXEC_MSG_MAX];
	struct sexec_msg *m = malloc(sizeof(*m));
	const char *why;
	size_t len = 0;
	ssize_t n;
	int r;

	if (argc != 2 || !m) {
		fprintf(stderr, "Usage: sexec-send SOCKET < datagram\n");
		return 2;
	}
	while (len < sizeof(req) && (n = read(0, req + len, sizeof(req) - len)) > 0)
		len += (size_t)n;
	r = client_request(argv[1], req, len, reply, sizeof(reply), 5000);
	if (r < 0) {
		printf("error %s\n", strerror(-r));
		return 1;
	}
	if (proto_decode(reply, (size_t)r, m, &why)) {
		printf("undecodable reply: %s\n", why);
		return 1;
	}
	printf("%s %d %s\n", m->type == SEXEC_MSG_ACK ? "ACK" : m->type == SEXEC_MSG_ERR ? "ERR" : "?",
	       m->status, m->text);
	return 0;
}
