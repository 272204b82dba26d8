/*
 * strpool.c - the shared string pool (see strpool.h).
 *
 * A chained hash table of counted strings.  The count and chain link sit just
 * before the text, so strpool_put() finds a string's node from the pointer it
 * handed out, without a lookup by value.  The bucket array doubles when the
 * pool holds more strings than buckets, and goes when the last string does.
 * A pointer strpool_get() did not return is a bug: strpool_put() cannot tell.
 */
#include "strpool.h"
#include "log.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct strnode {
	struct strnode *next;
	uint64_t hash;
	size_t refs;
	char s[];
};

static struct strnode **bucket;
static size_t nbucket, nstr; /* nbucket a power of two, or 0 */

/* strpool_hash - FNV-1a over s */
static uint64_t
strpool_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct strnode *
strpool_node(const char *s)
{
	return (struct strnode *)(s - offsetof(struct strnode, s));
}

/* strpool_grow - twice the buckets (at least 16), rehashing every string */
static void
strpool_grow(void)
{
	size_t n = nbucket > 0 ? nbucket * 2 : 16, i;
	struct strnode **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < nbucket; i++) {
		struct strnode *p, *next;

		for (p = bucket[i]; p != NULL; p = next) {
			next = p->next;
			p->next = b[p->hash & (n - 1)];
			b[p->hash & (n - 1)] = p;
		}
	}
	free(bucket);
	bucket = b;
	nbucket = n;
}

const char *
strpool_get(const char *s)
{
	uint64_t h = strpool_hash(s);
	struct strnode *p;
	size_t len;

	if (nbucket > 0)
		for (p = bucket[h & (nbucket - 1)]; p != NULL; p = p->next)
			if (p->hash == h && strcmp(p->s, s) == 0) {
				p->refs++;
				return p->s;
			}
	if (nstr >= nbucket)
		strpool_grow();
	len = strlen(s);
	p = xmalloc(offsetof(struct strnode, s) + len + 1);
	memcpy(p->s, s, len + 1);
	p->hash = h;
	p->refs = 1;
	p->next = bucket[h & (nbucket - 1)];
	bucket[h & (nbucket - 1)] = p;
	nstr++;
	return p->s;
}

void
strpool_put(const char *s)
{
	struct strnode *node, **pp;

	if (s == NULL)
		return;
	node = strpool_node(s);
	if (--node->refs > 0)
		return;
	for (pp = &bucket[node->hash & (nbucket - 1)]; *pp != node;
	     pp = &(*pp)->next)
		if (*pp == NULL)
			log_panic("%s: not a pooled string", __func__);
	*pp = node->next;
	free(node);
	if (--nstr == 0) {
		free(bucket);
		bucket = NULL;
		nbucket = 0;
	}
}

size_t
strpool_count(void)
{
	return nstr;
}
