/*
 * whitelist.c - load and match whitelist_file (see whitelist.h).
 *
 * A linear scan: whitelists are a handful of networks (the LAN, the webmail host,
 * partners), and the check runs only on the few lines that would list someone.
 */
#include "whitelist.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct whitelist {
	struct cidr *nets;
	size_t n, cap;
};

struct whitelist *
whitelist_load(const char *path)
{
	struct whitelist *wl = xcalloc(1, sizeof(*wl));
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, bad = 0;
	ssize_t len;
	FILE *fp;

	if (path == NULL || *path == '\0')
		return wl;
	if ((fp = fopen(path, "r")) == NULL) {
		log_error("%s: cannot open whitelist_file: %s", path,
		    strerror(errno));
		free(wl);
		return NULL;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *s = line, *e;
		struct cidr c;

		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL) {
			log_error("%s:%d: NUL byte in line", path, lineno);
			bad++;
			continue;
		}
		if ((e = strchr(s, '#')) != NULL)
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (cidr_parse(s, &c) < 0) {
			log_error(
			    "%s:%d: not an IPv4 or IPv6 address or network: "
			    "\"%.60s\"",
			    path, lineno, s);
			bad++;
			continue;
		}
		if (wl->n == wl->cap) {
			wl->cap = wl->cap ? wl->cap * 2 : 16;
			wl->nets =
			    xrealloc(wl->nets, wl->cap * sizeof(*wl->nets));
		}
		wl->nets[wl->n++] = c;
	}
	free(line);
	fclose(fp);
	if (bad > 0) {
		whitelist_free(wl);
		return NULL;
	}
	return wl;
}

void
whitelist_free(struct whitelist *wl)
{
	if (wl == NULL)
		return;
	free(wl->nets);
	free(wl);
}

bool
whitelist_match(const struct whitelist *wl, const struct addr *a)
{
	size_t i;

	if (wl == NULL)
		return false;
	for (i = 0; i < wl->n; i++)
		if (cidr_match(&wl->nets[i], a))
			return true;
	return false;
}

bool
whitelist_overlaps(const struct whitelist *wl, const struct addr *net)
{
	struct addr host = *net, n64;
	size_t i;

	if (wl == NULL)
		return false;
	host.family = 6;
	for (i = 0; i < wl->n; i++) {
		const struct cidr *c = &wl->nets[i];

		if (c->net.family != 6)
			continue;
		/* c holds the /64, or lies inside it */
		addr_net64(&c->net, &n64);
		if ((c->len <= 64 && cidr_match(c, &host)) ||
		    (c->len > 64 && addr_equal(&n64, net)))
			return true;
	}
	return false;
}

size_t
whitelist_size(const struct whitelist *wl)
{
	return wl != NULL ? wl->n : 0;
}
