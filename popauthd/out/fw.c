/*
 * fw.c - the backend-independent half of null-routing (see fw.h).
 *
 * For blacklist.c and main.c: checks the firewall settings of a conf once
 * (chain name, ports), keeps the one active backend, and turns the tracker's
 * walk over its bans into a sorted, duplicate-free array so a backend can
 * compare it with what the kernel holds.  Ownership: copies everything it
 * keeps from the conf.  Errors: a bad setting is refused by fw_open (-1,
 * logged); calls before fw_open log a warning and return -1.
 */
#include "fw.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fw_ops *fw_cur; /* NULL until fw_open succeeds */
static struct fw_settings fw_set;
static unsigned long long fw_failed; /* metrics: calls that returned -1 */

unsigned long long
fw_failures(void)
{
	return fw_failed;
}

int
fw_addr_cmp(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

/*
 * fw_settings_from - the firewall keys of c into s (conf_check.c has
 * checked them at load); 0 or -1 (logged)
 */
static int
fw_settings_from(const struct conf *c, struct fw_settings *s)
{
	const char *err;

	memset(s, 0, sizeof(*s));
	snprintf(s->chain, sizeof(s->chain), "%s", c->iptables_chain);
	snprintf(s->table, sizeof(s->table), "%s", c->nftables_table);
	s->jump_line = (unsigned int)c->iptables_rbl_line;
	err = conf_ports(c->nullroute_ports, s->port_lo, s->port_hi,
	    FW_PORTS_MAX, &s->nports);
	if (err != NULL) {
		log_error("nullroute_ports = %s: %s", c->nullroute_ports, err);
		return -1;
	}
	return 0;
}

/* fw_backend_ops - the ops for a conf's firewall_backend under s */
static const struct fw_ops *
fw_backend_ops(enum fw_backend b, const struct fw_settings *s)
{
	char why[256];
	bool nft;

	switch (b) {
	case FW_NONE:
		return &fw_none_ops;
	case FW_IPTABLES:
		return &fw_iptc_ops;
	case FW_NFTABLES:
		return &fw_nft_ops;
	case FW_AUTO:
		nft = fw_nft_ops.usable(s, why, sizeof(why));
		log_info("firewall_backend = auto: %s: %s",
		    nft ? "nftables" : "iptables (libiptc)", why);
		return nft ? &fw_nft_ops : &fw_iptc_ops;
	}
	log_panic("%s: unknown firewall backend %d", __func__, (int)b);
}

int
fw_open(const struct conf *c)
{
	const struct fw_ops *ops;
	struct fw_settings s;

	if (fw_settings_from(c, &s) < 0)
		return -1;
	ops = fw_backend_ops(c->firewall_backend, &s);
	if (fw_cur != NULL && fw_cur == ops &&
	    strcmp(fw_set.chain, s.chain) == 0 &&
	    strcmp(fw_set.table, s.table) == 0) {
		/* a reload: on failure the backend keeps the old settings */
		if (ops->open(&s) < 0)
			return -1;
		fw_set = s;
		return 0;
	}
	if (fw_cur != NULL) {
		/* the old chain would otherwise stay in the kernel unmanaged */
		log_info("firewall: switching from %s %s to %s %s",
		    fw_cur->name,
		    fw_cur == &fw_nft_ops ? fw_set.table : fw_set.chain,
		    ops->name, ops == &fw_nft_ops ? s.table : s.chain);
		fw_cur->close(false);
		fw_cur = NULL;
	}
	if (ops->open(&s) < 0)
		return -1;
	fw_cur = ops;
	fw_set = s;
	return 0;
}

const char *
fw_scope_name(enum nullroute_scope scope)
{
	return scope == SCOPE_ALL ? "all" : "smtp";
}

int
fw_ban(const struct addr *a, enum nullroute_scope scope, time_t unban)
{
	char ip[ADDR_STRLEN];

	if (fw_cur == NULL) {
		log_warn("%s: cannot null-route: firewall not open",
		    addr_format(a, ip, sizeof(ip)));
		fw_failed++;
		return -1;
	}
	if (fw_cur->ban(a, scope, unban) < 0) {
		fw_failed++;
		return -1;
	}
	return 0;
}

int
fw_unban(const struct addr *a)
{
	char ip[ADDR_STRLEN];

	if (fw_cur == NULL) {
		log_warn("%s: cannot lift null-route: firewall not open",
		    addr_format(a, ip, sizeof(ip)));
		fw_failed++;
		return -1;
	}
	if (fw_cur->unban(a) < 0) {
		fw_failed++;
		return -1;
	}
	return 0;
}

struct fw_vec {
	struct fw_target *v;
	size_t n, cap;
};

/* fw_vec_add - the add callback handed to the tracker's walk */
static void
fw_vec_add(
    void *ctx, const struct addr *a, enum nullroute_scope scope, time_t unban)
{
	struct fw_vec *vec = ctx;

	if (a->family != 4 && a->family != 6 && a->family != ADDR_NET6)
		return;
	if (vec->n == vec->cap) {
		vec->cap = vec->cap == 0 ? 64 : vec->cap * 2;
		vec->v = xrealloc(vec->v, vec->cap * sizeof(*vec->v));
	}
	vec->v[vec->n].a = *a;
	vec->v[vec->n].unban = unban;
	vec->v[vec->n++].scope = scope;
}

int
fw_reconcile(fw_walk_fn *walk, void *arg)
{
	struct fw_vec vec = {NULL, 0, 0};
	size_t i, out;
	int rc;

	if (fw_cur == NULL) {
		log_warn("firewall: cannot reconcile: firewall not open");
		fw_failed++;
		return -1;
	}
	/* collect, then apply (STYLE.md 4): the walk never sees a half change */
	walk(arg, fw_vec_add, &vec);
	if (vec.n > 1) {
		qsort(vec.v, vec.n, sizeof(*vec.v), fw_addr_cmp);
		for (i = 1, out = 1; i < vec.n; i++) {
			struct fw_target *last = &vec.v[out - 1];

			if (fw_addr_cmp(&vec.v[i], last) != 0) {
				vec.v[out++] = vec.v[i];
				continue;
			}
			if (vec.v[i].scope == SCOPE_ALL)
				last->scope = SCOPE_ALL; /* wider wins */
			if (vec.v[i].unban > last->unban)
				last->unban = vec.v[i].unban; /* longer wins */
		}
		vec.n = out;
	}
	rc = fw_cur->reconcile(vec.v, vec.n);
	if (rc < 0)
		fw_failed++;
	free(vec.v);
	return rc;
}

int
fw_kernel_left(struct fw_left **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (fw_cur == NULL || fw_cur->left == NULL)
		return -1;
	if (fw_cur->left(v, n) < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 1) {
		size_t i, out;

		qsort(*v, *n, sizeof(**v), fw_addr_cmp);
		/* a client in two sets (a scope change in flight): the longer */
		for (i = 1, out = 1; i < *n; i++) {
			if (fw_addr_cmp(&(*v)[i], &(*v)[out - 1]) != 0)
				(*v)[out++] = (*v)[i];
			else if ((*v)[i].left > (*v)[out - 1].left)
				(*v)[out - 1].left = (*v)[i].left;
		}
		*n = out;
	}
	return 0;
}

long long
fw_left_find(const struct fw_left *v, size_t n, const struct addr *a)
{
	const struct fw_left *hit;

	if (v == NULL || n == 0)
		return -1;
	hit = bsearch(a, v, n, sizeof(*v), fw_addr_cmp);
	return hit != NULL ? hit->left : -1;
}

void
fw_close(bool keep)
{
	if (fw_cur == NULL)
		return;
	fw_cur->close(keep);
	fw_cur = NULL;
}
