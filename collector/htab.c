// SPDX-License-Identifier: GPL-2.0-or-later
/* Chained hash table keyed by u64; grows by doubling so lookups stay O(1)
 * with tens of thousands of live processes. */
#include <errno.h>
#include <stdlib.h>

#include "htab.h"

struct htab_ent {
	uint64_t key;
	void *val;
	struct htab_ent *next;
};

struct htab {
	struct htab_ent **b;
	size_t nb, n;
};

static size_t htab_slot(uint64_t k, size_t nb)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)(k & (nb - 1));
}

struct htab *create_htab(size_t hint)
{
	struct htab *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->nb = 64;
	while (h->nb < hint)
		h->nb <<= 1;
	h->b = calloc(h->nb, sizeof(*h->b));
	if (!h->b) {
		free(h);
		return NULL;
	}
	return h;
}

void destroy_htab(struct htab *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nb; i++) {
		struct htab_ent *e = h->b[i], *n;

		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(h->b);
	free(h);
}

void *htab_get(const struct htab *h, uint64_t key)
{
	struct htab_ent *e;

	for (e = h->b[htab_slot(key, h->nb)]; e; e = e->next)
		if (e->key == key)
			return e->val;
	return NULL;
}

static void htab_grow(struct htab *h)
{
	size_t nb = h->nb * 2, i;
	struct htab_ent **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep the longer chains; still correct */
	for (i = 0; i < h->nb; i++) {
		struct htab_ent *e = h->b[i], *n;

		for (; e; e = n) {
			size_t s = htab_slot(e->key, nb);

			n = e->next;
			e->next = b[s];
			b[s] = e;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
}

int htab_put(struct htab *h, uint64_t key, void *val)
{
	size_t s = htab_slot(key, h->nb);
	struct htab_ent *e;

	for (e = h->b[s]; e; e = e->next) {
		if (e->key == key) {
			e->val = val;
			return 0;
		}
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = key;
	e->val = val;
	e->next = h->b[s];
	h->b[s] = e;
	if (++h->n > h->nb)
		htab_grow(h);
	return 0;
}

void *htab_del(struct htab *h, uint64_t key)
{
	struct htab_ent **pp = &h->b[htab_slot(key, h->nb)], *e;
	void *val;

	for (; (e = *pp); pp = &e->next) {
		if (e->key == key) {
			*pp = e->next;
			val = e->val;
			free(e);
			h->n--;
			return val;
		}
	}
	return NULL;
}

size_t htab_count(const struct htab *h)
{
	return h->n;
}

void htab_each(const struct htab *h, void (*fn)(uint64_t key, void *val, void *arg), void *arg)
{
	size_t i;
	struct htab_ent *e;

	for (i = 0; i < h->nb; i++)
		for (e = h->b[i]; e; e = e->next)
			fn(e->key, e->val, arg);
}
