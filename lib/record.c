// SPDX-License-Identifier: GPL-2.0-or-later
/* Step naming shared by every program: Slurm's numeric step ids to and from
 * the names sacct prints after the dot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/record.h"

static const struct {
	uint32_t id;
	const char *name;
} record_special_steps[] = {
	{ SEXEC_STEP_BATCH, "batch" },
	{ SEXEC_STEP_EXTERN, "extern" },
	{ SEXEC_STEP_INTERACTIVE, "interactive" },
	{ SEXEC_STEP_PENDING, "pending" },
};

int record_step_name(uint32_t step_id, char *buf, size_t len)
{
	size_t i;
	int n = -1;

	for (i = 0; i < sizeof(record_special_steps) / sizeof(record_special_steps[0]); i++)
		if (record_special_steps[i].id == step_id)
			n = snprintf(buf, len, "%s", record_special_steps[i].name);
	if (n < 0)
		n = snprintf(buf, len, "%u", step_id);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int record_step_parse(const char *name, uint32_t *step_id)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < sizeof(record_special_steps) / sizeof(record_special_steps[0]); i++) {
		if (strcmp(name, record_special_steps[i].name) == 0) {
			*step_id = record_special_steps[i].id;
			return 0;
		}
	}
	if (name[0] < '0' || name[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end || v >= SEXEC_STEP_INTERACTIVE)
		return -EINVAL;
	*step_id = (uint32_t)v;
	return 0;
}
