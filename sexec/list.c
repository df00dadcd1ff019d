// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec without a job id (being written). */
#include "sexec/conf.h"

#include "cli.h"

int list_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out)
{
	(void)o;
	(void)conf;
	(void)out;
	fprintf(stderr, "sexec: listing is not built yet\n");
	return EXIT_ERROR;
}
