/*
 * cluster_row.c - a change row in and out of the database's text form (see
 * cluster_row.h).
 *
 * Rows read back are untrusted: another host, an admin with psql or an
 * attacker who reached the database may have written them.  A row is taken
 * only whole, each field checked: the kind from the list, the address through
 * addr_parse (and a prefix only as an IPv6 /64), the durations in
 * [0, CLUSTER_MAX_SECS], the node name as cluster_node allows it, the reason
 * escaped and cut.
 */
#include "cluster_row.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[CL_NKINDS] = {
    "grant", "revoke", "listing", "delist", "ban", "unban"};

const char *
clrow_kind_name(enum cluster_kind k)
{
	return (unsigned)k < CL_NKINDS ? kind_names[k] : "?";
}

int
clrow_kind_parse(const char *s, enum cluster_kind *k)
{
	size_t i;

	for (i = 0; s != NULL && i < CL_NKINDS; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum cluster_kind)i;
			return 0;
		}
	return -1;
}

bool
clrow_has_expiry(enum cluster_kind k)
{
	switch (k) {
	case CL_GRANT:
	case CL_LISTING:
	case CL_BAN:
		return true;
	case CL_REVOKE:
	case CL_DELIST:
	case CL_UNBAN:
		return false;
	}
	return false;
}

/* clrow_node_ok - a name cluster_node would accept */
static bool
clrow_node_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < CLUSTER_NODE_MAX &&
	    strspn(s,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789._-") == n;
}

int
clrow_parse(const struct clrow_text *t, time_t now, struct cluster_change *c,
    const char **why)
{
	long long id, mask, left = -1, age;

	memset(c, 0, sizeof(*c));
	*why = "id";
	if (t->id == NULL || parse_long(t->id, 1, (1LL << 62), &id) < 0)
		return -1;
	c->id = id;
	*why = "node";
	if (t->node == NULL || !clrow_node_ok(t->node))
		return -1;
	snprintf(c->node, sizeof(c->node), "%s", t->node);
	*why = "kind";
	if (clrow_kind_parse(t->kind, &c->kind) < 0)
		return -1;
	*why = "ip";
	if (t->host == NULL || t->masklen == NULL ||
	    addr_parse(t->host, strlen(t->host), &c->ip) < 0 ||
	    parse_long(t->masklen, 0, 128, &mask) < 0)
		return -1;
	if (mask == 64 && c->ip.family == 6) {
		static const uint8_t zero[8];
		struct addr net;

		if (memcmp(c->ip.b + 8, zero, sizeof(zero)) != 0)
			return -1; /* host bits set: not a /64 */
		addr_net64(&c->ip, &net);
		c->ip = net;
	} else if (mask != (c->ip.family == 4 ? 32 : 128) &&
	    !(mask == 128 && strchr(t->host, ':') != NULL)) {
		/* only hosts (v4-mapped folds to IPv4) and IPv6 /64s */
		return -1;
	}
	if (c->ip.family != ADDR_NET6 && !addr_is_client(&c->ip))
		return -1;
	*why = "expires";
	if (clrow_has_expiry(c->kind)) {
		/* an expiry already past is fine: the change is simply over */
		if (t->left == NULL ||
		    parse_long(t->left, -CLUSTER_MAX_SECS, CLUSTER_MAX_SECS,
		        &left) < 0)
			return -1;
		c->expires = now + (time_t)left;
	} else {
		c->expires = -1;
	}
	*why = "age";
	if (t->age == NULL || parse_long(t->age, 0, CLUSTER_MAX_SECS, &age) < 0)
		return -1;
	c->at = now - (time_t)age;
	*why = "reason";
	if (t->reason == NULL)
		return -1;
	log_escape(c->reason, sizeof(c->reason), t->reason, strlen(t->reason));
	*why = NULL;
	return 0;
}

const char *
clrow_ip_text(const struct addr *a, char *buf, size_t size)
{
	/* addr_format writes a /64 as "2001:db8:1:2::/64": inet reads that */
	return addr_format(a, buf, size);
}

static void
clrow_array_put(struct clrow_array *a, const char *s, size_t n)
{
	if (a->n + n + 2 > a->cap) {
		a->cap = (a->n + n + 2) * 2 + 64;
		a->s = xrealloc(a->s, a->cap);
	}
	memcpy(a->s + a->n, s, n);
	a->n += n;
	a->s[a->n] = '\0';
}

/* clrow_array_sep - "{" before the first element, "," before the others */
static void
clrow_array_sep(struct clrow_array *a)
{
	clrow_array_put(a, a->n == 0 ? "{" : ",", 1);
}

void
clrow_array_add(struct clrow_array *a, const char *s)
{
	clrow_array_sep(a);
	if (s == NULL) {
		clrow_array_put(a, "NULL", 4);
		return;
	}
	/* quoted: a backslash before every '"' and '\': nothing else is special */
	clrow_array_put(a, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			clrow_array_put(a, "\\", 1);
		clrow_array_put(a, s, 1);
	}
	clrow_array_put(a, "\"", 1);
}

void
clrow_array_addnum(struct clrow_array *a, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	clrow_array_sep(a);
	clrow_array_put(a, buf, (size_t)n);
}

const char *
clrow_array_end(struct clrow_array *a)
{
	if (a->n == 0)
		clrow_array_put(a, "{", 1);
	clrow_array_put(a, "}", 1);
	return a->s;
}

void
clrow_array_free(struct clrow_array *a)
{
	free(a->s);
	a->s = NULL;
	a->n = a->cap = 0;
}
