/*
 * genbl.c - N log lines, one distinct client IPv4 address each, for the scale,
 * latency, memory and firewall benchmarks in bench/run.
 *
 *   genbl [-n N] [-o OFFSET] [-k dnsbl|ban|login] [-t START_EPOCH] [-r RATE]
 *
 *   -n  addresses (default 1000); -o  index of the first address (default 0)
 *   -k  dnsbl: one smtpd "blocked using zen.spamhaus.org" reject per address
 *          (a new listing in rbl_checks.db);
 *       ban: two such rejects per address in the same second (the second is
 *          a repeat at rate 2000/s, above nullroute_freq_thresh: a null-route);
 *       login: one Dovecot pop3-login "Login:" per address (a relay grant)
 *   -t  log time of the first line (default: now - lines/rate - 60, so a
 *       replayed log ends in the recent past and its grants and 30m bans are
 *       still in force when a daemon starts on the replayed state)
 *   -r  lines per second of log time (default 1000)
 * Stamps are RFC 3339 with the year, so --replay need not guess one.
 * Address index i is 11.0.0.0 + i (11/8 is public, never private, loopback or
 * documentation space, so no rule or whitelist treats it specially); at most
 * 2^24 addresses.  Shapes copied from the real Postfix 3.7 and Dovecot 2.3 lines
 * in etc/rules/ and test/integration/lib.sh.
 * Errors: bad usage exits 64, a failed write exits 74.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum kind { K_DNSBL, K_BAN, K_LOGIN };

static void
usage(void)
{
	fprintf(stderr, "usage: genbl [-n N] [-o OFFSET] [-k dnsbl|ban|login] "
			"[-t START_EPOCH] [-r RATE]\n");
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

/* stamp - RFC 3339 UTC stamp of second t plus a fraction */
static void
stamp(char *buf, size_t size, time_t t, long usec)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
}

int
main(int argc, char **argv)
{
	long long n = 1000, off = 0, rate = 1000, t0 = -1, line = 0, i;
	enum kind k = K_DNSBL;
	int ch, per;
	char ts[64];

	while ((ch = getopt(argc, argv, "n:o:k:t:r:")) != -1) {
		switch (ch) {
		case 'n':
			n = num(optarg, 0, 1 << 24);
			break;
		case 'o':
			off = num(optarg, 0, 1 << 24);
			break;
		case 'k':
			if (strcmp(optarg, "dnsbl") == 0)
				k = K_DNSBL;
			else if (strcmp(optarg, "ban") == 0)
				k = K_BAN;
			else if (strcmp(optarg, "login") == 0)
				k = K_LOGIN;
			else
				usage();
			break;
		case 't':
			t0 = num(optarg, 0, 1LL << 40);
			break;
		case 'r':
			rate = num(optarg, 1, 1000000000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || off + n > (1 << 24))
		usage();
	per = k == K_BAN ? 2 : 1;
	if (t0 < 0)
		t0 = (long long)time(NULL) - n * per / rate - 60;
	for (i = off; i < off + n; i++) {
		unsigned a = 0x0b000000u + (unsigned)i;
		char ip[16];
		int j;

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		    (a >> 8) & 255, a & 255);
		for (j = 0; j < per; j++, line++) {
			stamp(ts, sizeof(ts), (time_t)(t0 + line / rate),
			    (long)(line % rate * 1000000 / rate));
			if (k == K_LOGIN)
				printf("%s mx dovecot: pop3-login: Login: "
				       "user=<u%lld>, method=PLAIN, rip=%s, "
				       "lip=192.0.2.10, mpid=%lld, secured, "
				       "session=<bench%lld>\n",
				    ts, i, ip, 1000 + i % 30000, i);
			else
				printf("%s mx postfix/smtpd[%lld]: NOQUEUE: "
				       "reject: RCPT from unknown[%s]: 554 "
				       "5.7.1 Service unavailable; Client host "
				       "[%s] blocked using zen.spamhaus.org; "
				       "from=<spam%lld@example.net> "
				       "to=<info@example.org> proto=ESMTP "
				       "helo=<[%s]>\n",
				    ts, 1000 + i % 30000, ip, ip, i, ip);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "genbl: write: %s\n", strerror(errno));
		return 74;
	}
	return 0;
}
