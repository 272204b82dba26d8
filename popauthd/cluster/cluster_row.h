/*
 * cluster_row.h - one change as the nodes of a cluster exchange it: its kinds,
 * reading a row the database returned, and the array literals a batch is sent in.
 *
 * For cluster.c (the outbox, applying) and cluster_pg.c (the link).  Rows come
 * from a database other hosts write to: each field is checked here as strictly
 * as a log line (kind from a fixed list, the address through addr_parse, times
 * in bounds, names and reasons escaped) and a row that fails is refused whole.
 * Nothing here builds SQL: values travel as query parameters, and the array
 * literals below are parameter values (PostgreSQL's array input syntax).
 */
#ifndef POPAUTHD_CLUSTER_ROW_H
#define POPAUTHD_CLUSTER_ROW_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CLUSTER_NODE_MAX   64  /* cluster_node: 63 characters */
#define CLUSTER_REASON_MAX 256 /* a reason, escaped, cut beyond */
/* a change that claims to run longer than this is refused (10 years) */
#define CLUSTER_MAX_SECS (10LL * 366 * 86400)

enum cluster_kind {
	CL_GRANT,   /* relay allowed until expires */
	CL_REVOKE,  /* relay grant removed */
	CL_LISTING, /* in rbl_checks until expires */
	CL_DELIST,  /* out of rbl_checks */
	CL_BAN,     /* null-routed until expires */
	CL_UNBAN    /* ban lifted */
};
#define CL_NKINDS 6

struct cluster_change {
	long long id; /* the database's change id; 0 while in the outbox */
	enum cluster_kind kind;
	struct addr ip; /* a host, or an IPv6 /64 (ADDR_NET6) */
	time_t at;      /* when it was decided, on the local clock */
	time_t expires; /* grant, listing, ban: local clock; else -1 */
	char node[CLUSTER_NODE_MAX];     /* who decided */
	char reason[CLUSTER_REASON_MAX]; /* escaped */
};

/* clrow_kind_name - "grant", "revoke", ... as stored in the kind column */
const char *clrow_kind_name(enum cluster_kind k);
/* clrow_kind_parse - the kind named s; 0 or -1 */
int clrow_kind_parse(const char *s, enum cluster_kind *k);
/* clrow_has_expiry - grant, listing and ban carry an expiry */
bool clrow_has_expiry(enum cluster_kind k);

/* one row of the fetch query, each column as libpq's text (NULL = SQL NULL) */
struct clrow_text {
	const char *id, *node, *kind, *host, *masklen, *left, *age, *reason;
};

/*
 * clrow_parse - a fetched row into *c, with "left" (seconds until expiry, by
 * the database's clock) and "age" (seconds since the decision) turned into
 * times on the local clock now: so hosts whose clocks disagree agree on
 * when a grant ends.  0, or -1 with *why saying which field was bad.
 */
int clrow_parse(const struct clrow_text *t, time_t now,
    struct cluster_change *c, const char **why);
/* clrow_ip_text - c's address as the database's inet input: "a.b.c.d" or "x::/64" */
const char *clrow_ip_text(const struct addr *a, char *buf, size_t size);

/* a growing array literal: "{e1,e2,...}" */
struct clrow_array {
	char *s;
	size_t n, cap;
};

/* clrow_array_add - append a quoted element (s NULL: an SQL NULL) */
void clrow_array_add(struct clrow_array *a, const char *s);
/* clrow_array_addnum - append a number */
void clrow_array_addnum(struct clrow_array *a, long long v);
/* clrow_array_end - close the literal; the text (owned by a) */
const char *clrow_array_end(struct clrow_array *a);
/* clrow_array_free - release (the struct itself is the caller's) */
void clrow_array_free(struct clrow_array *a);

#endif
