// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the collector's wire decoder: any bytes must be either
 * decoded into a consistent message or rejected, without a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sexec_msg m;
	uint8_t again[SEXEC_MSG_MAX];
	const char *why;

	if (proto_decode(data, size, &m, &why) != 0)
		return 0;
	/* What decodes must re-encode and decode to the same step and task. */
	if (m.type == SEXEC_MSG_TASK_BEGIN && proto_check_task_begin(&m, &why) == 0) {
		struct sexec_msg m2;
		struct sexec_enc e;
		int n;

		proto_enc_init(&e, again, sizeof(again), m.type, m.seq);
		proto_put_step(&e, &m.step);
		proto_put_task(&e, &m.task);
		n = proto_enc_finish(&e);
		if (n < 0 || proto_decode(again, (size_t)n, &m2, &why) ||
		    memcmp(&m2.step, &m.step, sizeof(m.step)) ||
		    memcmp(&m2.task, &m.task, sizeof(m.task)))
			abort();
	}
	return 0;
}
