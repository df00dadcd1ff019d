/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small chained hash table from 64-bit keys to pointers, used by the
 * tracker for processes, registrations and steps. */
#ifndef SEXEC_HTAB_H
#define SEXEC_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab;

struct htab *create_htab(size_t hint);
void destroy_htab(struct htab *h); /* frees the table, not the values */
void *htab_get(const struct htab *h, uint64_t key);
int htab_put(struct htab *h, uint64_t key, void *val); /* replaces; 0 or -ENOMEM */
void *htab_del(struct htab *h, uint64_t key);           /* returns the value removed */
size_t htab_count(const struct htab *h);
/* Visit every entry; the callback may not modify the table. */
void htab_each(const struct htab *h, void (*fn)(uint64_t key, void *val, void *arg), void *arg);

#endif
