/*
 * procnet.c - /proc socket correlation and process start times (see procnet.h).
 *
 * /proc/net/tcp prints each address as the raw 32-bit words of the kernel's
 * network-order buffer in host order ("%08X"), so a word parsed back with
 * strtoul and copied to memory is the network-order bytes again on any
 * endianness; tcp6 prints four such words.  A line is parsed only when its
 * inode belongs to the process, so the cost is one pass over the tables.
 */
#include "procnet.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_LISTEN 0x0A

struct inodes {
	unsigned long v[PROCNET_MAX_INODES];
	size_t n;
};

int
procnet_parse_local(const char *s, struct procnet_local *l)
{
	const char *colon = strrchr(s, ':'), *port = s, *a = NULL;
	size_t alen = 0;
	long long p;

	memset(l, 0, sizeof(*l));
	if (colon != NULL) {
		a = s;
		alen = (size_t)(colon - s);
		port = colon + 1;
		if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') {
			a++;
			alen -= 2;
		} else if (memchr(a, ':', alen) != NULL) {
			return -1; /* bare v6 needs [] before the port */
		}
	}
	if (parse_long(port, 1, 65535, &p) < 0)
		return -1;
	l->port = (uint16_t)p;
	if (a == NULL || (alen == 1 && *a == '*') ||
	    (alen == 7 && memcmp(a, "0.0.0.0", 7) == 0) ||
	    (alen == 2 && memcmp(a, "::", 2) == 0)) {
		l->any = true;
		return 0;
	}
	return addr_parse(a, alen, &l->addr);
}

/* fd_inodes - socket inodes among the links in dir */
static void
fd_inodes(const char *dir, struct inodes *in)
{
	char path[PATH_MAX], link[64];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL && in->n < PROCNET_MAX_INODES) {
		unsigned long ino;
		ssize_t n;
		size_t i;
		char end;

		if (d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >=
		    (int)sizeof(path))
			continue;
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu%c", &ino, &end) != 2 ||
		    end != ']')
			continue;
		for (i = 0; i < in->n && in->v[i] != ino; i++)
			;
		if (i == in->n)
			in->v[in->n++] = ino;
	}
	closedir(dp);
}

/* pid_inodes - sockets of pid and of each of its threads; -1 if pid is gone */
static int
pid_inodes(const char *procroot, pid_t pid, struct inodes *in)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int saved;

	in->n = 0;
	snprintf(dir, sizeof(dir), "%s/%ld/fd", procroot, (long)pid);
	if ((dp = opendir(dir)) == NULL)
		return -1; /* errno from opendir: ENOENT, EACCES */
	closedir(dp);
	fd_inodes(dir, in);
	snprintf(dir, sizeof(dir), "%s/%ld/task", procroot, (long)pid);
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s/fd", dir, d->d_name) <
		    (int)sizeof(sub))
			fd_inodes(sub, in);
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return 0;
}

/* hex_addr - a /proc/net/tcp{,6} address (8 or 32 hex digits) into *a */
static int
hex_addr(const char *hex, struct addr *a)
{
	size_t len = strlen(hex), i;
	uint8_t b[16];
	char text[ADDR_STRLEN];

	if (len != 8 && len != 32)
		return -1;
	for (i = 0; i < len / 8; i++) {
		char word[9];
		uint32_t v;

		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(b + 4 * i, &v, 4);
	}
	if (inet_ntop(len == 8 ? AF_INET : AF_INET6, b, text, sizeof(text)) ==
	    NULL)
		return -1;
	return addr_parse(text, strlen(text), a); /* folds v4-mapped */
}

/* scan_table - look up in's inodes in one /proc/net table; 0 found, -1 not */
static int
scan_table(const char *path, const struct inodes *in,
    const struct procnet_local *l, struct addr *peer)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int rc = -1;

	if (fp == NULL)
		return -1;
	if (fgets(line, sizeof(line), fp) == NULL) { /* header */
		fclose(fp);
		return -1;
	}
	while (rc < 0 && fgets(line, sizeof(line), fp) != NULL) {
		char lhex[40], rhex[40];
		unsigned lport, rport, st;
		unsigned long ino;
		struct addr la;
		size_t i;

		if (sscanf(line,
		        " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s "
		        "%*s %*u %*u %lu",
		        lhex, &lport, rhex, &rport, &st, &ino) != 6)
			continue;
		for (i = 0; i < in->n && in->v[i] != ino; i++)
			;
		if (i == in->n || ino == 0)
			continue;
		if (st == TCP_LISTEN || rport == 0 || lport != l->port)
			continue;
		if (hex_addr(lhex, &la) < 0)
			continue;
		if (!l->any && !addr_equal(&la, &l->addr))
			continue;
		if (hex_addr(rhex, peer) == 0)
			rc = 0;
	}
	fclose(fp);
	return rc;
}

int
procnet_peer(const char *procroot, pid_t pid, const struct procnet_local *l,
    struct addr *peer)
{
	static struct inodes in; /* 8 KiB: not on the stack */
	char path[PATH_MAX];

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	if (pid_inodes(procroot, pid, &in) < 0)
		return -1;
	if (in.n > 0) {
		snprintf(path, sizeof(path), "%s/net/tcp", procroot);
		if (scan_table(path, &in, l, peer) == 0)
			return 0;
		snprintf(path, sizeof(path), "%s/net/tcp6", procroot);
		if (scan_table(path, &in, l, peer) == 0)
			return 0;
	}
	errno = ESRCH;
	return -1;
}

int
procnet_starttime(const char *procroot, pid_t pid, unsigned long long *ticks)
{
	char path[PATH_MAX], buf[1024];
	const char *p;
	FILE *fp;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "%s/%ld/stat", procroot, (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	/* p is the blank before field 3 (state); walk to the one before 22 */
	for (field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", ticks) != 1)
		return -1;
	return 0;
}
