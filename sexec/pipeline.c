// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec --pipeline (being written). */
#include "sexec/conf.h"

#include "cli.h"

int pipeline_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out)
{
	(void)o;
	(void)conf;
	(void)out;
	fprintf(stderr, "sexec: --pipeline is not built yet\n");
	return EXIT_ERROR;
}
