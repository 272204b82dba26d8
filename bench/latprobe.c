/*
 * latprobe.c - how long from a log line in the FIFO until Postfix (or the
 * kernel) sees its effect; for the latency rows of bench/run.
 *
 *   latprobe -f FIFO -m MAPDIR/NAME.db -k login|dnsbl -n COUNT [-o OFFSET]
 *            [-g GAP_MS] [-w TIMEOUT_S] [-p POLL_US] [-v]
 *   latprobe -f FIFO -k ban -c CHAIN -n COUNT [-o OFFSET] [-g GAP_MS] ...
 *
 * For each of COUNT new addresses (11.0.0.0 + OFFSET + i, as bench/genbl.c
 * numbers them) it writes one line (login: a Dovecot "Login:"; dnsbl: a
 * Postfix DNSBL reject; ban: two DNSBL rejects in the same second, a listing
 * and a repeat that null-routes) into FIFO with one write(2), then polls every
 * POLL_US (default 200) microseconds until it sees the result:
 *   login, dnsbl: a direct Berkeley DB read of the hash: table, done as
 *     Postfix's dict_db does it: opened DB_RDONLY under a shared flock(2),
 *     each lookup under a shared flock, the key with its trailing NUL; the
 *     table is reopened when the path names a new inode (popauthd renames a
 *     new file over the old one; smtpd notices st_nlink == 0 and restarts).
 *   login, dnsbl with a MAP ending in .lmdb: read as Postfix's dict_lmdb
 *     does: MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY, each lookup a read
 *     transaction under a shared fcntl(2) lock on the file, MDB_MAP_RESIZED
 *     answered by taking the new size; opened once (changed in place).
 *   ban: a DROP rule for the address in CHAIN of the filter table, read with
 *     libiptc (a snapshot of the whole table per poll, so polls are slower
 *     with a big chain: POLL_US is then a lower bound).
 * It waits GAP_MS (default 0) between one write and the next.  Output: one
 * summary line "n=... seen=... lost=... p50_us=... p90_us=... p99_us=...
 * max_us=... mean_us=..." and with -v every sample in microseconds before it.
 * A sample not seen within TIMEOUT_S (default 30) counts as lost.
 * Exit: 0 when every sample was seen, 1 when some were lost, 64 usage, 74 I/O.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <libiptc/libiptc.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum kind { K_LOGIN, K_DNSBL, K_BAN };

struct reader {
	const char *path;
	DB *db;
	MDB_env *env; /* an .lmdb table instead */
	int lockfd;
	dev_t dev;
	ino_t ino;
	unsigned long long reopens;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: latprobe -f FIFO (-m MAP.db -k login|dnsbl | -k ban -c "
	    "CHAIN)\n                -n COUNT [-o OFFSET] [-g GAP_MS] "
	    "[-w TIMEOUT_S] [-p POLL_US] [-v]\n");
	exit(64);
}

static long long
num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
sleep_us(long long us)
{
	struct timespec ts;

	if (us <= 0)
		return;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
reader_close(struct reader *r)
{
	if (r->db != NULL)
		r->db->close(r->db, 0);
	if (r->env != NULL)
		mdb_env_close(r->env); /* closes lockfd, its own fd */
	else if (r->lockfd >= 0)
		close(r->lockfd);
	r->env = NULL;
	r->db = NULL;
	r->lockfd = -1;
}

/* reader_fresh - (re)open the table when the path names a new file */
static bool
reader_fresh(struct reader *r)
{
	struct stat st;
	int rc;

	if (stat(r->path, &st) < 0)
		return false;
	if (r->db != NULL && st.st_dev == r->dev && st.st_ino == r->ino)
		return true;
	reader_close(r);
	if ((r->lockfd = open(r->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (fstat(r->lockfd, &st) < 0 || flock(r->lockfd, LOCK_SH) < 0) {
		reader_close(r);
		return false;
	}
	if ((rc = db_create(&r->db, NULL, 0)) != 0) {
		fprintf(stderr, "latprobe: db_create: %s\n", db_strerror(rc));
		exit(74);
	}
	rc = r->db->open(r->db, NULL, r->path, NULL, DB_HASH, DB_RDONLY, 0644);
	flock(r->lockfd, LOCK_UN);
	if (rc != 0) {
		r->db->close(r->db, 0);
		r->db = NULL;
		reader_close(r);
		return false;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->reopens++;
	return true;
}

/* lmdb_lock - a shared (F_RDLCK) or no (F_UNLCK) fcntl lock, waiting */
static int
lmdb_lock(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* lmdb_has - reader_has for an .lmdb table, as dict_lmdb looks up */
static bool
lmdb_has(struct reader *r, const char *key, bool want_ok)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	bool ok = false;
	int rc;

	if (r->env == NULL) {
		if (mdb_env_create(&r->env) != 0 ||
		    mdb_env_open(r->env, r->path,
		        MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY, 0644) != 0 ||
		    mdb_env_get_fd(r->env, &r->lockfd) != 0) {
			if (r->env != NULL)
				mdb_env_close(r->env);
			r->env = NULL;
			return false;
		}
		r->reopens++;
	}
	if (lmdb_lock(r->lockfd, F_RDLCK) < 0)
		return false;
	rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
	if (rc == MDB_MAP_RESIZED && mdb_env_set_mapsize(r->env, 0) == 0)
		rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		k.mv_data = (void *)(uintptr_t)key;
		k.mv_size = strlen(key) + 1;
		if (mdb_dbi_open(txn, NULL, 0, &dbi) == 0 &&
		    mdb_get(txn, dbi, &k, &v) == 0)
			ok = !want_ok || (v.mv_size >= 2 &&
			                     memcmp(v.mv_data, "OK", 2) == 0);
		mdb_txn_abort(txn);
	} else {
		fprintf(stderr, "latprobe: %s: %s\n", r->path, mdb_strerror(rc));
	}
	lmdb_lock(r->lockfd, F_UNLCK);
	return ok;
}

/* reader_has - the table holds key (with its NUL); login wants value OK */
static bool
reader_has(struct reader *r, const char *key, bool want_ok)
{
	DBT k, v;
	size_t len = strlen(r->path);
	int rc;

	if (len > 5 && strcmp(r->path + len - 5, ".lmdb") == 0)
		return lmdb_has(r, key, want_ok);
	if (!reader_fresh(r))
		return false;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)strlen(key) + 1;
	if (flock(r->lockfd, LOCK_SH) < 0)
		return false;
	rc = r->db->get(r->db, NULL, &k, &v, 0);
	flock(r->lockfd, LOCK_UN);
	if (rc != 0)
		return false;
	return !want_ok || (v.size >= 2 && memcmp(v.data, "OK", 2) == 0);
}

/* chain_has - CHAIN in the filter table drops source ip */
static bool
chain_has(const char *chain, const char *ip)
{
	struct xtc_handle *h = iptc_init("filter");
	const struct ipt_entry *e;
	struct in_addr a;
	bool found = false;

	if (h == NULL)
		return false;
	inet_pton(AF_INET, ip, &a);
	if (iptc_is_chain(chain, h)) {
		for (e = iptc_first_rule(chain, h); e != NULL;
		     e = iptc_next_rule(e, h)) {
			if (e->ip.src.s_addr == a.s_addr &&
			    e->ip.smsk.s_addr == 0xffffffffu) {
				found = true;
				break;
			}
		}
	}
	iptc_free(h);
	return found;
}

static int
cmp_ll(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return a < b ? -1 : a > b;
}

/* pct - the q-quantile (nearest rank) of sorted v[0..n) */
static long long
pct(const long long *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(q * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/* put_line - one line for address ip into the FIFO, with one write */
static void
put_line(int fd, enum kind k, const char *ip, long long i)
{
	char buf[2048], ts[64];
	struct timespec now;
	struct tm tm;
	int n = 0, j;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, now.tv_nsec / 1000);
	if (k == K_LOGIN) {
		n = snprintf(buf, sizeof(buf),
		    "%s mx dovecot: pop3-login: Login: user=<p%lld>, "
		    "method=PLAIN, rip=%s, lip=192.0.2.10, mpid=%lld, secured, "
		    "session=<probe%lld>\n",
		    ts, i, ip, 1000 + i % 30000, i);
	} else {
		for (j = 0; j < (k == K_BAN ? 2 : 1); j++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n,
			    "%s mx postfix/smtpd[%lld]: NOQUEUE: reject: RCPT "
			    "from unknown[%s]: 554 5.7.1 Service unavailable; "
			    "Client host [%s] blocked using zen.spamhaus.org; "
			    "from=<probe%lld@example.net> to=<info@example.org> "
			    "proto=ESMTP helo=<[%s]>\n",
			    ts, 1000 + i % 30000, ip, ip, i, ip);
	}
	if (write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "latprobe: write: %s\n", strerror(errno));
		exit(74);
	}
}

int
main(int argc, char **argv)
{
	const char *fifo = NULL, *map = NULL, *chain = NULL;
	long long count = 0, off = 0, gap_ms = 0, timeout_s = 30, poll_us = 200;
	long long i, *lat, last_write = 0, sum = 0;
	enum kind k = K_LOGIN;
	bool verbose = false, have_kind = false;
	struct reader r = { .lockfd = -1 };
	size_t seen = 0;
	int ch, fd;

	while ((ch = getopt(argc, argv, "f:m:k:c:n:o:g:w:p:v")) != -1) {
		switch (ch) {
		case 'f':
			fifo = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case 'c':
			chain = optarg;
			break;
		case 'k':
			have_kind = true;
			if (strcmp(optarg, "login") == 0)
				k = K_LOGIN;
			else if (strcmp(optarg, "dnsbl") == 0)
				k = K_DNSBL;
			else if (strcmp(optarg, "ban") == 0)
				k = K_BAN;
			else
				usage();
			break;
		case 'n':
			count = num(optarg, 1, 10000000);
			break;
		case 'o':
			off = num(optarg, 0, 1 << 24);
			break;
		case 'g':
			gap_ms = num(optarg, 0, 3600000);
			break;
		case 'w':
			timeout_s = num(optarg, 1, 3600);
			break;
		case 'p':
			poll_us = num(optarg, 1, 1000000);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || fifo == NULL || count == 0 || !have_kind ||
	    off + count > (1 << 24) || (k == K_BAN ? chain == NULL : map == NULL))
		usage();
	r.path = map;
	if ((fd = open(fifo, O_WRONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "latprobe: %s: %s\n", fifo, strerror(errno));
		return 74;
	}
	lat = calloc((size_t)count, sizeof(*lat));
	if (lat == NULL)
		return 74;
	for (i = 0; i < count; i++) {
		unsigned a = 0x0b000000u + (unsigned)(off + i);
		char ip[16];
		long long t0, deadline;

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		    (a >> 8) & 255, a & 255);
		if (last_write != 0)
			sleep_us(last_write + gap_ms * 1000 - now_us());
		t0 = last_write = now_us();
		put_line(fd, k, ip, off + i);
		deadline = t0 + timeout_s * 1000000;
		for (;;) {
			bool ok = k == K_BAN ? chain_has(chain, ip) :
					       reader_has(&r, ip, k == K_LOGIN);
			long long t = now_us();

			if (ok) {
				lat[seen++] = t - t0;
				sum += t - t0;
				if (verbose)
					printf("%s %lld\n", ip, t - t0);
				break;
			}
			if (t >= deadline) {
				if (verbose)
					printf("%s lost\n", ip);
				break;
			}
			sleep_us(poll_us);
		}
	}
	close(fd);
	reader_close(&r);
	qsort(lat, seen, sizeof(*lat), cmp_ll);
	printf("n=%lld seen=%zu lost=%lld p50_us=%lld p90_us=%lld p99_us=%lld "
	       "max_us=%lld mean_us=%lld reopens=%llu\n",
	    count, seen, count - (long long)seen, pct(lat, seen, 0.5),
	    pct(lat, seen, 0.9), pct(lat, seen, 0.99),
	    seen > 0 ? lat[seen - 1] : -1,
	    seen > 0 ? sum / (long long)seen : -1, r.reopens);
	free(lat);
	return seen == (size_t)count ? 0 : 1;
}
