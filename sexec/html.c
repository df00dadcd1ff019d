// SPDX-License-Identifier: GPL-2.0-or-later
/* The HTML report (being written). */
#include <errno.h>

#include "html.h"

int render_html(const struct report *r, FILE *f)
{
	(void)r;
	(void)f;
	return -ENOSYS;
}
