/*
 * genlog.c - deterministic synthetic mail log of a busy MX, for the benchmarks.
 *
 * For bench/run and anyone who needs a big realistic maillog: writes exactly
 * LINES lines to stdout, shaped like the real Postfix 3.7, Dovecot 2.3 and
 * sendmail lines in shared/ref/corpus/ and shared/ref/log-formats.md section 4.
 *
 *   genlog [-n LINES] [-s SEED] [-i DISTINCT_CLIENT_IPS]
 *          [-f traditional|rfc3339|mixed] [-6 PERCENT_IPV6] [-t START_EPOCH]
 *          [-r LINES_PER_SECOND_OF_LOG_TIME] [-z PERCENT_ZIPF]
 *
 *   -n  lines to write (default 1000000)
 *   -s  PRNG seed (default 1); the same arguments give byte-identical output
 *   -i  client address pool (default 10000, at most 50000000); 1/20 of it (at
 *       least 1) are the POP/IMAP users' addresses, the rest talk SMTP
 *   -f  syslog prefix: traditional "Nov 23 06:05:55 mx " (default), rfc3339
 *       "2026-11-23T06:05:55.123456+00:00 mx ", or mixed (a coin per line)
 *   -6  percent of the pool that is IPv6, compressed 2001:db8:... (default 10)
 *   -t  log time of the first line, epoch seconds UTC (default 1795392000 =
 *       2026-11-23 00:00:00 UTC); log time never runs backwards
 *   -r  lines per second of log time (default 200)
 *   -z  percent of SMTP client draws that are Zipf-like (log-uniform: pool
 *       rank k is drawn with probability ~ 1/k, so spammers repeat); the rest
 *       are uniform over the pool, so a big pool is really visited (default 50)
 *
 * Workload.  Whole sessions (events) one after another, each an atomic group
 * of lines with its own PIDs and queue IDs.  Weight per 1000 events, lines:
 *   300  inbound delivery: [25%: postscreen CONNECT, PASS OLD/NEW] smtpd
 *        connect, client=, cleanup message-id=, qmgr from=, size=, nrcpt=1
 *        (queue active), disconnect ... commands=5, local or smtp to=...
 *        status=sent, qmgr removed                               8 (+2)
 *    60  pickup uid=33 from=<www-data>, sent out, no client IP         5
 *    60  lost connection after CONNECT/EHLO                            3
 *     5  anvil statistics (rate, count, cache size)                    3
 *    90  Dovecot pop3-login/imap-login Login: + Disconnected: Logged out;
 *        30% then relay a message through smtpd from the same address
 *        (POP-before-SMTP)                                       2 (+7)
 *   120  unknown recipients: 1..3 "550 5.1.1 <x>: Recipient address
 *        rejected: User unknown in local (15%: virtual mailbox)
 *        recipient table" per session                               3..5
 *   100  DNSBL, zen.spamhaus.org (80%) or bl.spamcop.net              3
 *    25  Relay access denied                                          3
 *    30  our own blacklist: "Client host rejected: Your IP address has
 *        been blacklisted by zen.spamhaus.org. Visit their website or
 *        write to argue. https://www.spamhaus.org/query/ip/IP"        3
 *    15  HELO rejects (need fully-qualified hostname, You are not me)   3
 *    15  sender rejects (Access denied, Domain not found)              3
 *    10  cleanup header/body reject after client=                      4
 *    10  postscreen CONNECT, DNSBL rank, reject, DISCONNECT            4
 *    15  sm-mta "QID: <x>... User unknown" + "QID: lost input channel
 *        from host [ip] to MTA after rcpt"                             2
 *    10  sm-mta ruleset=check_relay ... reject=553 5.3.0 (spamcop)     1
 * Measured line shares (-n 5000000 -s 1, defaults; bench/README has the
 * grep commands):
 *   10.4%  "reject:": 5.6 User unknown, 2.35 smtpd DNSBL, 0.7 our own
 *          blacklist, 0.6 relay, 0.35 HELO, 0.35 sender, 0.23 cleanup,
 *          0.23 postscreen
 *    2.1%  Dovecot " Login: ", and 2.1% "Disconnected: Logged out"
 *    0.9%  sm-mta (0.35 User unknown, 0.35 lost input channel, 0.23
 *          check_relay)
 *   86.5%  everything else (16.4 connect, 16.4 disconnect, 9.1 status=sent,
 *          4.4 postscreen, ...): lines no rule should act on
 *    8.7%  lines with a bracketed IPv6 client; ~132 bytes per line
 *
 * Addresses: pool index i maps to an address by a keyed 32-bit bijection
 * with cycle-walking past private, loopback, multicast and documentation
 * ranges, so distinct indices give distinct addresses and a pool of 10^6
 * costs no memory.  IPv6 clients live in 2001:db8::/32, by a bijection too.
 * Server side: 192.0.2.10 and 2001:db8:ffff:ffff::25, syslog host "mx".
 *
 * Errors: bad usage exits 64; a failed write exits 74 (EX_IOERR).  No libm,
 * no rand(): splitmix64 only, so the output is the same on every platform.
 * One file on purpose (over STYLE.md's ~600 lines): bench/run builds it
 * with a single cc command.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BUF_SIZE  (4u << 20)
#define MAX_LINE  2048 /* every line we build is far shorter */
#define POOL_MAX  50000000ull
/* 1.0.0.0: [IP4_OFFSET, IP4_OFFSET + POOL_MAX) holds no reserved address */
#define IP4_OFFSET  0x01000000u
#define SERVER4     "192.0.2.10"
#define SERVER6     "2001:db8:ffff:ffff::25"
#define LOGHOST     "mx"
#define LOCALDOMAIN "example.org"

enum fmt { FMT_TRAD, FMT_RFC3339, FMT_MIXED };

struct client {
	char ip[48];
	size_t iplen;
	char name[64]; /* PTR name or "unknown", as Postfix prints it */
	size_t namelen;
	bool v6;
	uint64_t idx;
};

struct gen {
	/* options */
	uint64_t nlines;
	uint64_t seed;
	uint64_t pool;
	enum fmt fmt;
	unsigned pct6;
	unsigned zipf;
	int64_t t0;
	uint64_t rate;
	/* state */
	uint64_t rng;
	uint64_t line;  /* lines written so far */
	uint64_t users; /* pool indices [pool - users, pool) are POP users */
	uint32_t key4, key6; /* address bijection keys, from the seed */
	uint64_t keyname;
	uint64_t qid;       /* queue ID counter */
	int64_t cached_sec; /* second the cached prefixes belong to */
	char trad[64];      /* "Nov 23 06:05:55" */
	char isohead[64];   /* "2026-11-23T06:05:55." */
	char *buf, *p, *end;
};

/* splitmix64 - the one PRNG (Steele, Lea, Flood 2014) */
static inline uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* rnd - next 64 random bits */
static inline uint64_t
rnd(struct gen *g)
{
	return splitmix64(&g->rng);
}

/* below - uniform in [0, n) for n < 2^32 (multiply-shift; tiny bias is fine) */
static inline uint32_t
below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * n) >> 32);
}

/* pct - true with probability p percent */
static inline bool
pct(struct gen *g, unsigned p)
{
	return below(g, 100) < p;
}

/* mix64 - stateless hash of a 64-bit value */
static inline uint64_t
mix64(uint64_t x)
{
	return splitmix64(&x);
}

/* perm32 - keyed bijection on 32 bits (lowbias32, C. Wellons) */
static inline uint32_t
perm32(uint32_t x, uint32_t key)
{
	x ^= key;
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* reserved4 - true for addresses a public MX never sees as clients */
static bool
reserved4(uint32_t a)
{
	unsigned o1 = a >> 24, o2 = (a >> 16) & 0xff, o3 = (a >> 8) & 0xff;

	return o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 ||
	    (o1 == 100 && (o2 & 0xc0) == 64) || (o1 == 169 && o2 == 254) ||
	    (o1 == 172 && (o2 & 0xf0) == 16) || (o1 == 192 && o2 == 168) ||
	    (o1 == 192 && o2 == 0 && (o3 == 0 || o3 == 2)) ||
	    (o1 == 198 && (o2 & 0xfe) == 18) ||
	    (o1 == 198 && o2 == 51 && o3 == 100) ||
	    (o1 == 203 && o2 == 0 && o3 == 113);
}

/*
 * ip4_of - the IPv4 address of pool index i.  Cycle-walking keeps the map
 * injective: the domain [IP4_OFFSET, IP4_OFFSET + POOL_MAX) holds no reserved
 * address, so two walks can never meet.
 */
static uint32_t
ip4_of(const struct gen *g, uint64_t i)
{
	uint32_t a = perm32((uint32_t)(IP4_OFFSET + i), g->key4);

	while (reserved4(a))
		a = perm32(a, g->key4);
	return a;
}

/* ---- output */

/* flush - write the buffer out; a write error ends the program */
static void
flush(struct gen *g)
{
	size_t n = (size_t)(g->p - g->buf);

	if (n > 0 && fwrite(g->buf, 1, n, stdout) != n) {
		fprintf(stderr, "genlog: write: %s\n", strerror(errno));
		exit(74);
	}
	g->p = g->buf;
}

static inline void
put(struct gen *g, const char *s, size_t n)
{
	memcpy(g->p, s, n);
	g->p += n;
}

/* PUTS - append a string literal (only a literal compiles: "" lit) */
#define PUTS(g, lit) put((g), "" lit, sizeof("" lit) - 1)

static inline void
putc_(struct gen *g, char c)
{
	*g->p++ = c;
}

static inline void
puts_(struct gen *g, const char *s)
{
	put(g, s, strlen(s));
}

/* put_u - decimal */
static inline void
put_u(struct gen *g, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*g->p++ = tmp[--n];
}

/* put_u0 - decimal, zero-padded to width digits */
static inline void
put_u0(struct gen *g, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		g->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	g->p += width;
}

/* put_hex - n hex digits of v, upper or lower case */
static inline void
put_hex(struct gen *g, uint64_t v, int n, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (int i = n - 1; i >= 0; i--) {
		g->p[i] = d[v & 15];
		v >>= 4;
	}
	g->p += n;
}

/* put_secs - hundredths as "S.ss" trimmed like Postfix ("0.12", "1.5", "0") */
static void
put_secs(struct gen *g, unsigned centi)
{
	put_u(g, centi / 100);
	if (centi % 100 != 0) {
		putc_(g, '.');
		putc_(g, (char)('0' + centi / 10 % 10));
		if (centi % 10 != 0)
			putc_(g, (char)('0' + centi % 10));
	}
}

/* civil - days since 1970-01-01 to y/m/d (H. Hinnant, civil_from_days) */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* set_second - rebuild the cached timestamp texts for second t */
static void
set_second(struct gen *g, int64_t t)
{
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = (t >= 0 ? t : t - 86399) / 86400, y;
	unsigned secs = (unsigned)(t - days * 86400), m, d;

	civil(days, &y, &m, &d);
	snprintf(g->trad, sizeof(g->trad), "%s %2u %02u:%02u:%02u", mon[m - 1],
	    d, secs / 3600, secs / 60 % 60, secs % 60);
	snprintf(g->isohead, sizeof(g->isohead),
	    "%04lld-%02u-%02uT%02u:%02u:%02u.", (long long)y, m, d, secs / 3600,
	    secs / 60 % 60, secs % 60);
	g->cached_sec = t;
}

/* begin - start a line: syslog prefix for this line's log time, then tag */
static void
begin(struct gen *g, const char *tag)
{
	int64_t sec = g->t0 + (int64_t)(g->line / g->rate);
	bool iso;

	if ((size_t)(g->end - g->p) < MAX_LINE)
		flush(g);
	if (sec != g->cached_sec)
		set_second(g, sec);
	iso = g->fmt == FMT_RFC3339 || (g->fmt == FMT_MIXED && (rnd(g) & 1));
	if (iso) {
		put(g, g->isohead, 20);
		put_u0(g, g->line % g->rate * 1000000 / g->rate, 6);
		PUTS(g, "+00:00 " LOGHOST " ");
	} else {
		put(g, g->trad, 15);
		PUTS(g, " " LOGHOST " ");
	}
	puts_(g, tag);
}

/* end - finish a line; after the last one, flush and exit */
static void
end(struct gen *g)
{
	putc_(g, '\n');
	if (++g->line == g->nlines) {
		flush(g);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "genlog: write: %s\n", strerror(errno));
			exit(74);
		}
		exit(0);
	}
}

/* ---- vocabulary */

static const char *const users[] = {"alice", "bob", "carol", "dave", "erin",
    "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy",
    "rupert", "sybil", "trent", "victor", "walter", "info", "sales"};
static const char *const fishing[] = {"admin", "webmaster", "support",
    "billing", "contact", "hr", "jobs", "office", "marketing", "test",
    "postmaster1", "j.smith", "a.miller", "accounts", "newsletter", "noreply"};
static const char *const domains[] = {"example.net", "example.com",
    "mail.example.net", "news.example.com", "shop.example", "bank.example",
    "list.example.net", "mailer.example.com"};
static const char *const remotes[] = {"gmail-smtp-in.l.google.example",
    "mx1.example.net", "mx.example.com", "mail.example.co.uk",
    "mx00.mail.example.de"};
static const char *const helos[] = {"User", "localhost", "WIN-3K2PQ7L",
    "ylmf-pc", "mail.example.net", "smtp.example.com", "pc01.example"};
static const char *const subjects[] = {
    "BUY VIAGRA now", "You have won", "Invoice overdue", "Crypto profits"};

#define PICK(g, a) ((a)[below((g), (uint32_t)NITEMS(a))])

/* put_addr - "user@domain" from two word lists */
static void
put_addr(struct gen *g, const char *const *u, size_t nu, const char *const *d,
    size_t nd)
{
	puts_(g, u[below(g, (uint32_t)nu)]);
	putc_(g, '@');
	puts_(g, d[below(g, (uint32_t)nd)]);
}

/* put_sender - a remote sender, sometimes the null sender */
static void
put_sender(struct gen *g)
{
	if (pct(g, 5))
		return;
	put_addr(g, users, NITEMS(users), domains, NITEMS(domains));
}

/* put_local - a real local recipient */
static void
put_local(struct gen *g)
{
	puts_(g, PICK(g, users));
	PUTS(g, "@" LOCALDOMAIN);
}

/* ---- clients */

/* fmt6 - RFC 5952 text of 8 groups (lower case, longest zero run as "::") */
static size_t
fmt6(char *out, const uint16_t gr[8])
{
	int best = -1, bestlen = 1, i, n = 0;

	for (i = 0; i < 8;) {
		int j = i;

		while (j < 8 && gr[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			out[n++] = ':';
			out[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			out[n++] = ':';
		n += snprintf(out + n, 8, "%x", gr[i]);
	}
	out[n] = '\0';
	return (size_t)n;
}

/* make_client - address and PTR name of pool index i (deterministic per i) */
static void
make_client(const struct gen *g, uint64_t i, struct client *c)
{
	uint64_t h = mix64(i ^ g->keyname);

	c->idx = i;
	c->v6 = h % 100 < g->pct6;
	if (c->v6) {
		uint32_t y = perm32((uint32_t)i, g->key6);
		uint16_t gr[8] = {0x2001, 0xdb8, (uint16_t)(y >> 16),
		    (uint16_t)y, 0, 0, 0, (uint16_t)(1 + (h >> 8) % 0xfff)};

		if ((h >> 40) % 3 == 0) { /* SLAAC-looking interface ID */
			gr[4] = (uint16_t)(h >> 16);
			gr[5] = (uint16_t)(h >> 32);
			gr[6] = (uint16_t)(h >> 48);
		}
		c->iplen = fmt6(c->ip, gr);
	} else {
		uint32_t a = ip4_of(g, i);

		c->iplen = (size_t)snprintf(c->ip, sizeof(c->ip), "%u.%u.%u.%u",
		    a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	}
	/* 45% have no forward-confirmed PTR name, like most spam sources */
	if ((h >> 20) % 100 < 45)
		c->namelen =
		    (size_t)snprintf(c->name, sizeof(c->name), "unknown");
	else
		c->namelen = (size_t)snprintf(c->name, sizeof(c->name),
		    "%s%u.%s", (h >> 28) % 2 ? "mail" : "mx",
		    (unsigned)(h >> 36) % 1000,
		    domains[(h >> 48) % NITEMS(domains)]);
}

/*
 * smtp_client - an SMTP client: Zipf-like (log-uniform octave, then uniform
 * inside it: rank k ~ 1/k) or uniform, over the non-user part of the pool
 */
static void
smtp_client(struct gen *g, struct client *c)
{
	uint64_t n = g->pool > g->users ? g->pool - g->users : g->pool, x;
	unsigned bits = 0;

	if (pct(g, g->zipf)) {
		while ((n >> bits) > 1)
			bits++;
		bits++; /* n < 2^bits */
		do {
			unsigned o = below(g, bits);

			x = (1ull << o) + (rnd(g) & ((1ull << o) - 1));
		} while (x > n);
		x--;
	} else {
		x = rnd(g) % n;
	}
	make_client(g, x, c);
}

/* user_client - a POP/IMAP user's address (uniform over the user part) */
static void
user_client(struct gen *g, struct client *c)
{
	make_client(g, g->pool - 1 - rnd(g) % g->users, c);
}

static void
put_client(struct gen *g, const struct client *c)
{
	put(g, c->name, c->namelen);
	putc_(g, '[');
	put(g, c->ip, c->iplen);
	putc_(g, ']');
}

/* put_helo - what such a client says in HELO */
static void
put_helo(struct gen *g, const struct client *c)
{
	if (c->name[0] != 'u' && pct(g, 80)) {
		put(g, c->name, c->namelen);
	} else if (pct(g, 10)) {
		PUTS(g, "[");
		if (c->v6)
			PUTS(g, "IPv6:");
		put(g, c->ip, c->iplen);
		PUTS(g, "]");
	} else {
		puts_(g, PICK(g, helos));
	}
}

static unsigned
pid(struct gen *g, unsigned base, unsigned spread)
{
	return base + below(g, spread);
}

/* new_qid - 11 upper-case hex digits like B1B99A74383, unique per message */
static uint64_t
new_qid(struct gen *g)
{
	return mix64(++g->qid + g->seed * 0x9e3779b97f4a7c15ull) &
	    0xfffffffffffull;
}

/* ---- line kinds */

static void
smtpd_begin(struct gen *g, unsigned p)
{
	begin(g, "postfix/smtpd[");
	put_u(g, p);
	PUTS(g, "]: ");
}

static void
qid_begin(struct gen *g, const char *tag, unsigned p, uint64_t q)
{
	begin(g, tag);
	put_u(g, p);
	PUTS(g, "]: ");
	put_hex(g, q, 11, true);
	PUTS(g, ": ");
}

static void
l_connect(struct gen *g, unsigned p, const struct client *c)
{
	smtpd_begin(g, p);
	PUTS(g, "connect from ");
	put_client(g, c);
	end(g);
}

static void
l_disconnect(
    struct gen *g, unsigned p, const struct client *c, const char *counts)
{
	smtpd_begin(g, p);
	PUTS(g, "disconnect from ");
	put_client(g, c);
	putc_(g, ' ');
	puts_(g, counts);
	end(g);
}

/* l_reject_head - "NOQUEUE: reject: RCPT from name[ip]: " */
static void
l_reject_head(struct gen *g, unsigned p, const struct client *c)
{
	smtpd_begin(g, p);
	PUTS(g, "NOQUEUE: reject: RCPT from ");
	put_client(g, c);
	PUTS(g, ": ");
}

/* put_tail - "; from=<s> to=<r> proto=ESMTP helo=<h>" with r already chosen */
static void
put_tail(struct gen *g, const struct client *c, const char *to, size_t tolen)
{
	PUTS(g, "; from=<");
	put_sender(g);
	PUTS(g, "> to=<");
	put(g, to, tolen);
	PUTS(g, "> proto=ESMTP helo=<");
	put_helo(g, c);
	putc_(g, '>');
}

static void
put_ps_client(struct gen *g, const struct client *c, unsigned port)
{
	putc_(g, '[');
	put(g, c->ip, c->iplen);
	PUTS(g, "]:");
	put_u(g, port);
}

static void
l_ps_connect(struct gen *g, unsigned p, const struct client *c, unsigned port)
{
	begin(g, "postfix/postscreen[");
	put_u(g, p);
	PUTS(g, "]: CONNECT from ");
	put_ps_client(g, c, port);
	if (c->v6)
		PUTS(g, " to [" SERVER6 "]:25");
	else
		PUTS(g, " to [" SERVER4 "]:25");
	end(g);
}

/* l_message - the accepted-message lines after connect, up to removed */
static void
l_message(struct gen *g, unsigned sp, const struct client *c, bool outbound,
    const char *from, size_t fromlen)
{
	uint64_t q = new_qid(g);
	unsigned delay = below(g, 300);

	qid_begin(g, "postfix/smtpd[", sp, q);
	PUTS(g, "client=");
	put_client(g, c);
	if (outbound && pct(g, 40)) {
		PUTS(g, ", sasl_method=PLAIN, sasl_username=");
		put(g, from, fromlen);
	}
	end(g);
	qid_begin(g, "postfix/cleanup[", pid(g, 2100, 8), q);
	if (pct(g, 3)) {
		PUTS(g, "message-id=<>");
	} else {
		PUTS(g, "message-id=<");
		put_hex(g, rnd(g), 16, false);
		putc_(g, '@');
		if (outbound)
			PUTS(g, LOCALDOMAIN);
		else
			puts_(g, PICK(g, domains));
		putc_(g, '>');
	}
	end(g);
	qid_begin(g, "postfix/qmgr[", 1890, q);
	PUTS(g, "from=<");
	if (outbound)
		put(g, from, fromlen);
	else
		put_sender(g);
	PUTS(g, ">, size=");
	put_u(g, 600 + below(g, 120000));
	PUTS(g, ", nrcpt=1 (queue active)");
	end(g);
	l_disconnect(g, sp, c, "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
	if (outbound) {
		qid_begin(g, "postfix/smtp[", pid(g, 3300, 16), q);
		PUTS(g, "to=<");
		put_addr(g, users, NITEMS(users), domains, NITEMS(domains));
		PUTS(g, ">, relay=");
		puts_(g, PICK(g, remotes));
		PUTS(g, "[198.51.100.");
		put_u(g, 1 + below(g, 250));
		PUTS(g, "]:25, delay=");
		put_secs(g, delay + 40);
		PUTS(g, ", delays=0.01/0.01/0.2/");
		put_secs(g, delay);
		PUTS(g, ", dsn=2.0.0, status=sent (250 2.0.0 OK ");
		put_u(g, (uint64_t)(g->cached_sec));
		PUTS(g, " ");
		put_hex(g, rnd(g), 12, false);
		PUTS(g, " - gsmtp)");
	} else if (pct(g, 70)) {
		qid_begin(g, "postfix/local[", pid(g, 3500, 4), q);
		PUTS(g, "to=<");
		put_local(g);
		PUTS(g, ">, relay=local, delay=");
		put_secs(g, delay);
		PUTS(g, ", delays=");
		put_secs(g, delay / 2);
		PUTS(g, "/0.01/0/");
		put_secs(g, delay / 4);
		PUTS(g, ", dsn=2.0.0, status=sent (delivered to mailbox)");
	} else {
		qid_begin(g, "postfix/smtp[", pid(g, 3300, 16), q);
		PUTS(g, "to=<");
		put_local(g);
		PUTS(g, ">, relay=127.0.0.1[127.0.0.1]:10026, delay=");
		put_secs(g, delay);
		PUTS(g, ", delays=0.01/0.01/0/");
		put_secs(g, delay);
		PUTS(g, ", dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ");
		put_hex(g, new_qid(g), 11, true);
		putc_(g, ')');
	}
	end(g);
	qid_begin(g, "postfix/qmgr[", 1890, q);
	PUTS(g, "removed");
	end(g);
}

/* ---- events */

static void
ev_deliver(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);

	smtp_client(g, &c);
	if (pct(g, 25)) {
		unsigned pp = pid(g, 1400, 2), port = 1024 + below(g, 64000);

		l_ps_connect(g, pp, &c, port);
		begin(g, "postfix/postscreen[");
		put_u(g, pp);
		puts_(g, pct(g, 10) ? "]: PASS NEW " : "]: PASS OLD ");
		put_ps_client(g, &c, port);
		end(g);
	}
	l_connect(g, sp, &c);
	l_message(g, sp, &c, false, "", 0);
}

static void
ev_pickup(struct gen *g)
{
	uint64_t q = new_qid(g);

	qid_begin(g, "postfix/pickup[", 1889, q);
	PUTS(g, "uid=33 from=<www-data>");
	end(g);
	qid_begin(g, "postfix/cleanup[", pid(g, 2100, 8), q);
	PUTS(g, "message-id=<");
	put_hex(g, rnd(g), 16, false);
	PUTS(g, "@" LOCALDOMAIN ">");
	end(g);
	qid_begin(g, "postfix/qmgr[", 1890, q);
	PUTS(g, "from=<www-data@" LOCALDOMAIN ">, size=");
	put_u(g, 400 + below(g, 5000));
	PUTS(g, ", nrcpt=1 (queue active)");
	end(g);
	qid_begin(g, "postfix/smtp[", pid(g, 3300, 16), q);
	PUTS(g, "to=<");
	put_addr(g, users, NITEMS(users), domains, NITEMS(domains));
	PUTS(g, ">, relay=");
	puts_(g, PICK(g, remotes));
	PUTS(g, "[198.51.100.");
	put_u(g, 1 + below(g, 250));
	PUTS(g,
	    "]:25, delay=0.4, delays=0.02/0.01/0.15/0.22, dsn=2.0.0, "
	    "status=sent (250 2.0.0 Ok: queued as ");
	put_hex(g, rnd(g), 10, true);
	putc_(g, ')');
	end(g);
	qid_begin(g, "postfix/qmgr[", 1890, q);
	PUTS(g, "removed");
	end(g);
}

static void
ev_lost(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	bool ehlo = pct(g, 60);

	smtp_client(g, &c);
	l_connect(g, sp, &c);
	smtpd_begin(g, sp);
	PUTS(g, "lost connection after ");
	if (ehlo)
		PUTS(g, "EHLO from ");
	else
		PUTS(g, "CONNECT from ");
	put_client(g, &c);
	end(g);
	l_disconnect(g, sp, &c, ehlo ? "ehlo=1 commands=1" : "commands=0/0");
}

static void
ev_anvil(struct gen *g)
{
	struct client c;
	unsigned ap = pid(g, 1700, 3);

	smtp_client(g, &c);
	begin(g, "postfix/anvil[");
	put_u(g, ap);
	PUTS(g, "]: statistics: max connection rate ");
	put_u(g, 1 + below(g, 20));
	PUTS(g, "/60s for (smtp:");
	put(g, c.ip, c.iplen);
	PUTS(g, ") at ");
	put(g, g->trad, 15);
	end(g);
	begin(g, "postfix/anvil[");
	put_u(g, ap);
	PUTS(g, "]: statistics: max connection count ");
	put_u(g, 1 + below(g, 5));
	PUTS(g, " for (smtp:");
	put(g, c.ip, c.iplen);
	PUTS(g, ") at ");
	put(g, g->trad, 15);
	end(g);
	begin(g, "postfix/anvil[");
	put_u(g, ap);
	PUTS(g, "]: statistics: max cache size ");
	put_u(g, 1 + below(g, 40));
	PUTS(g, " at ");
	put(g, g->trad, 15);
	end(g);
}

/* put_session - Dovecot session ID: 16 base64 characters (32 for IPv6) */
static void
put_session(struct gen *g, bool v6)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint64_t r = 0;

	for (int i = 0; i < (v6 ? 32 : 16); i++, r >>= 6) {
		if (i % 10 == 0)
			r = rnd(g);
		putc_(g, b64[r & 63]);
	}
}

static void
ev_login(struct gen *g)
{
	struct client c;
	bool imap = pct(g, 40);
	unsigned mpid = pid(g, 20000, 40000), ui;
	char user[40], sess[40];
	size_t ulen;
	char *save;

	user_client(g, &c);
	ui = (unsigned)(mix64(c.idx ^ g->keyname) % NITEMS(users));
	if (c.idx % 3 == 0)
		ulen = (size_t)snprintf(user, sizeof(user), "%s", users[ui]);
	else
		ulen = (size_t)snprintf(user, sizeof(user), "%s%u@" LOCALDOMAIN,
		    users[ui], (unsigned)(c.idx % 100000));
	begin(g,
	    imap ? "dovecot: imap-login: Login: user=<"
	         : "dovecot: pop3-login: Login: user=<");
	put(g, user, ulen);
	PUTS(g, ">, method=PLAIN, rip=");
	put(g, c.ip, c.iplen);
	if (c.v6)
		PUTS(g, ", lip=" SERVER6);
	else
		PUTS(g, ", lip=" SERVER4);
	PUTS(g, ", mpid=");
	put_u(g, mpid);
	switch (below(g, 3)) {
	case 0:
		PUTS(g, ", TLS");
		break;
	case 1:
		PUTS(g, ", secured");
		break;
	default:
		break;
	}
	PUTS(g, ", session=<");
	save = g->p;
	put_session(g, c.v6);
	snprintf(sess, sizeof(sess), "%.*s", (int)(g->p - save), save);
	putc_(g, '>');
	end(g);
	begin(g, imap ? "dovecot: imap(" : "dovecot: pop3(");
	put(g, user, ulen);
	PUTS(g, ")<");
	put_u(g, mpid);
	PUTS(g, "><");
	puts_(g, sess);
	if (imap) {
		PUTS(g, ">: Disconnected: Logged out in=");
		put_u(g, 12 + below(g, 4000));
		PUTS(g, " out=");
		put_u(g, 477 + below(g, 400000));
		PUTS(g,
		    " deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 "
		    "body_count=0 body_bytes=0");
	} else {
		unsigned n = below(g, 4), sz = n * (900 + below(g, 40000));

		PUTS(g, ">: Disconnected: Logged out top=0/0, retr=");
		put_u(g, n);
		putc_(g, '/');
		put_u(g, sz);
		PUTS(g, ", del=");
		put_u(g, n);
		putc_(g, '/');
		put_u(g, n);
		PUTS(g, ", size=");
		put_u(g, sz);
	}
	end(g);
	if (pct(g, 30)) { /* the point of POP-before-SMTP: now relay */
		unsigned sp = pid(g, 4000, 24);

		if (strchr(user, '@') == NULL)
			ulen = (size_t)snprintf(
			    user, sizeof(user), "%s@" LOCALDOMAIN, users[ui]);
		l_connect(g, sp, &c);
		l_message(g, sp, &c, true, user, ulen);
	}
}

/* reject_session - connect, then the start of the reject line */
static void
reject_session(struct gen *g, struct client *c, unsigned sp)
{
	l_connect(g, sp, c);
	l_reject_head(g, sp, c);
}

/* reject_done - end the reject line, then the disconnect */
static void
reject_done(struct gen *g, const struct client *c, unsigned sp)
{
	end(g);
	l_disconnect(g, sp, c, "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4");
}

static void
ev_fish(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24), n = 1 + below(g, 3);
	char to[64], counts[80];
	size_t tolen;

	smtp_client(g, &c);
	l_connect(g, sp, &c);
	for (unsigned i = 0; i < n; i++) {
		tolen = (size_t)snprintf(to, sizeof(to), "%s%s@" LOCALDOMAIN,
		    PICK(g, fishing), pct(g, 30) ? "2" : "");
		l_reject_head(g, sp, &c);
		PUTS(g, "550 5.1.1 <");
		put(g, to, tolen);
		if (pct(g, 85))
			PUTS(g,
			    ">: Recipient address rejected: User unknown in "
			    "local recipient table");
		else
			PUTS(g,
			    ">: Recipient address rejected: User unknown in "
			    "virtual mailbox table");
		put_tail(g, &c, to, tolen);
		end(g);
	}
	snprintf(counts, sizeof(counts),
	    "ehlo=1 mail=1 rcpt=0/%u quit=1 commands=3/%u", n, 3 + n);
	l_disconnect(g, sp, &c, counts);
}

static void
ev_dnsbl(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	char to[64];
	size_t tolen;

	smtp_client(g, &c);
	tolen =
	    (size_t)snprintf(to, sizeof(to), "%s@" LOCALDOMAIN, PICK(g, users));
	reject_session(g, &c, sp);
	if (pct(g, 80)) {
		PUTS(g, "554 5.7.1 Service unavailable; Client host [");
		put(g, c.ip, c.iplen);
		PUTS(g,
		    "] blocked using zen.spamhaus.org; "
		    "https://www.spamhaus.org/query/ip/");
		put(g, c.ip, c.iplen);
	} else {
		PUTS(g, "554 5.7.1 Service unavailable; Client host [");
		put(g, c.ip, c.iplen);
		PUTS(g,
		    "] blocked using bl.spamcop.net; "
		    "Blocked - see https://www.spamcop.net/bl.shtml?");
		put(g, c.ip, c.iplen);
	}
	put_tail(g, &c, to, tolen);
	reject_done(g, &c, sp);
}

static void
ev_relay(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	char to[80];
	size_t tolen;

	smtp_client(g, &c);
	tolen = (size_t)snprintf(
	    to, sizeof(to), "%s@%s", PICK(g, users), PICK(g, remotes));
	reject_session(g, &c, sp);
	PUTS(g, "554 5.7.1 <");
	put(g, to, tolen);
	PUTS(g, ">: Relay access denied");
	put_tail(g, &c, to, tolen);
	reject_done(g, &c, sp);
}

static void
ev_blacklisted(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	char to[64];
	size_t tolen;

	smtp_client(g, &c);
	tolen =
	    (size_t)snprintf(to, sizeof(to), "%s@" LOCALDOMAIN, PICK(g, users));
	reject_session(g, &c, sp);
	PUTS(g, "554 5.7.1 <");
	put_client(g, &c);
	PUTS(g,
	    ">: Client host rejected: Your IP address has been blacklisted "
	    "by zen.spamhaus.org. Visit their website or write to argue. "
	    "https://www.spamhaus.org/query/ip/");
	put(g, c.ip, c.iplen);
	put_tail(g, &c, to, tolen);
	reject_done(g, &c, sp);
}

static void
ev_helo(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	char to[64];
	size_t tolen;

	smtp_client(g, &c);
	tolen =
	    (size_t)snprintf(to, sizeof(to), "%s@" LOCALDOMAIN, PICK(g, users));
	reject_session(g, &c, sp);
	if (pct(g, 50)) {
		uint64_t win = rnd(g);

		PUTS(g, "504 5.5.2 <WIN-");
		put_hex(g, win, 7, true);
		PUTS(g,
		    ">: Helo command rejected: need fully-qualified hostname; "
		    "from=<");
		put_sender(g);
		PUTS(g, "> to=<");
		put(g, to, tolen);
		PUTS(g, "> proto=ESMTP helo=<WIN-");
		put_hex(g, win, 7, true);
		putc_(g, '>');
	} else {
		PUTS(g,
		    "554 5.7.1 <mx." LOCALDOMAIN ">: Helo command rejected: "
		    "You are not me; from=<");
		put_sender(g);
		PUTS(g, "> to=<");
		put(g, to, tolen);
		PUTS(g, "> proto=ESMTP helo=<mx." LOCALDOMAIN ">");
	}
	reject_done(g, &c, sp);
}

static void
ev_sender(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	char to[64];
	size_t tolen;

	smtp_client(g, &c);
	tolen =
	    (size_t)snprintf(to, sizeof(to), "%s@" LOCALDOMAIN, PICK(g, users));
	reject_session(g, &c, sp);
	if (pct(g, 50)) {
		PUTS(g,
		    "554 5.7.1 <ceo@" LOCALDOMAIN ">: Sender address "
		    "rejected: Access denied; from=<ceo@" LOCALDOMAIN "> to=<");
	} else {
		PUTS(g,
		    "450 4.1.8 <billing@nx.invalid>: Sender address rejected: "
		    "Domain not found; from=<billing@nx.invalid> to=<");
	}
	put(g, to, tolen);
	PUTS(g, "> proto=ESMTP helo=<");
	put_helo(g, &c);
	putc_(g, '>');
	reject_done(g, &c, sp);
}

static void
ev_cleanup(struct gen *g)
{
	struct client c;
	unsigned sp = pid(g, 4000, 24);
	uint64_t q = new_qid(g);
	bool hdr = pct(g, 60);

	smtp_client(g, &c);
	l_connect(g, sp, &c);
	qid_begin(g, "postfix/smtpd[", sp, q);
	PUTS(g, "client=");
	put_client(g, &c);
	end(g);
	qid_begin(g, "postfix/cleanup[", pid(g, 2100, 8), q);
	if (hdr) {
		PUTS(g, "reject: header Subject: ");
		puts_(g, PICK(g, subjects));
	} else {
		PUTS(g, "reject: body hello FORBIDDEN-BODY-TOKEN bye");
	}
	PUTS(g, " from ");
	put_client(g, &c);
	PUTS(g, "; from=<");
	put_sender(g);
	PUTS(g, "> to=<");
	put_local(g);
	PUTS(g, "> proto=ESMTP helo=<");
	put_helo(g, &c);
	if (hdr)
		PUTS(g, ">: 5.7.1 Spam subject");
	else
		PUTS(g, ">: 5.7.1 Body contains forbidden token");
	end(g);
	l_disconnect(
	    g, sp, &c, "ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5");
}

static void
ev_ps_reject(struct gen *g)
{
	struct client c;
	unsigned pp = pid(g, 1400, 2), port = 1024 + below(g, 64000);

	smtp_client(g, &c);
	l_ps_connect(g, pp, &c, port);
	begin(g, "postfix/postscreen[");
	put_u(g, pp);
	PUTS(g, "]: DNSBL rank ");
	put_u(g, 1 + below(g, 5));
	PUTS(g, " for ");
	put_ps_client(g, &c, port);
	end(g);
	begin(g, "postfix/postscreen[");
	put_u(g, pp);
	PUTS(g, "]: NOQUEUE: reject: RCPT from ");
	put_ps_client(g, &c, port);
	PUTS(g, ": 550 5.7.1 Service unavailable; client [");
	put(g, c.ip, c.iplen);
	PUTS(g, "] blocked using zen.spamhaus.org; from=<");
	put_sender(g);
	PUTS(g, ">, to=<");
	put_local(g);
	PUTS(g, ">, proto=ESMTP, helo=<");
	put_helo(g, &c);
	putc_(g, '>');
	end(g);
	begin(g, "postfix/postscreen[");
	put_u(g, pp);
	PUTS(g, "]: DISCONNECT ");
	put_ps_client(g, &c, port);
	end(g);
}

/* put_sm_relay - sendmail's "host [ip]" / "[ip]" / "[IPv6:ip]" */
static void
put_sm_relay(struct gen *g, const struct client *c)
{
	if (c->name[0] != 'u') {
		put(g, c->name, c->namelen);
		putc_(g, ' ');
	}
	putc_(g, '[');
	if (c->v6)
		PUTS(g, "IPv6:");
	put(g, c->ip, c->iplen);
	putc_(g, ']');
}

/* sm_qid - a sendmail queue ID like 5ANAF4Qx006519 (14 characters) */
static void
sm_qid(struct gen *g, unsigned p, char *out)
{
	static const char set[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";
	uint64_t r = rnd(g);

	memcpy(out, "5AN", 3);
	for (int i = 3; i < 8; i++, r >>= 6)
		out[i] = set[(r & 63) % 60];
	for (int i = 13; i >= 8; i--, p /= 10)
		out[i] = (char)('0' + p % 10);
}

/* sm_begin - "sm-mta[pid]: " and, with qid, "QID: " */
static void
sm_begin(struct gen *g, unsigned p, const char *qid)
{
	begin(g, "sm-mta[");
	put_u(g, p);
	PUTS(g, "]: ");
	if (qid != NULL) {
		put(g, qid, 14);
		PUTS(g, ": ");
	}
}

static void
ev_sm_unknown(struct gen *g)
{
	struct client c;
	unsigned p = pid(g, 6000, 30000);
	char qid[14];

	smtp_client(g, &c);
	sm_qid(g, p, qid);
	sm_begin(g, p, qid);
	putc_(g, '<');
	puts_(g, PICK(g, fishing));
	PUTS(g, "@" LOCALDOMAIN ">... User unknown");
	end(g);
	sm_begin(g, p, qid);
	PUTS(g, "lost input channel from ");
	put_sm_relay(g, &c);
	PUTS(g, " to MTA after rcpt");
	end(g);
}

static void
ev_sm_relay(struct gen *g)
{
	struct client c;

	smtp_client(g, &c);
	sm_begin(g, pid(g, 6000, 30000), NULL);
	PUTS(g, "ruleset=check_relay, arg1=");
	if (c.v6) {
		PUTS(g, "[IPv6:");
		put(g, c.ip, c.iplen);
		putc_(g, ']');
	} else {
		putc_(g, '[');
		put(g, c.ip, c.iplen);
		putc_(g, ']');
	}
	PUTS(g, ", arg2=127.0.0.2, relay=");
	put_sm_relay(g, &c);
	PUTS(g,
	    ", reject=553 5.3.0 Mail Rejected: http://spamcop.net/bl.shtml?");
	put(g, c.ip, c.iplen);
	end(g);
}

static const struct event {
	unsigned weight;
	void (*fn)(struct gen *);
} events[] = {
    {300, ev_deliver},
    {60, ev_pickup},
    {60, ev_lost},
    {5, ev_anvil},
    {90, ev_login},
    {120, ev_fish},
    {100, ev_dnsbl},
    {25, ev_relay},
    {30, ev_blacklisted},
    {15, ev_helo},
    {15, ev_sender},
    {10, ev_cleanup},
    {10, ev_ps_reject},
    {15, ev_sm_unknown},
    {10, ev_sm_relay},
};

/* ---- main */

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: genlog [-n LINES] [-s SEED] [-i DISTINCT_CLIENT_IPS] "
	    "[-f traditional|rfc3339|mixed]\n"
	    "              [-6 PERCENT_IPV6] [-t START_EPOCH] "
	    "[-r LINES_PER_SECOND] [-z PERCENT_ZIPF]\n");
	exit(64);
}

/* num - parse a whole decimal option value in [min, max] or exit 64 */
static long long
num(const char *s, long long min, long long max, int opt)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno != 0 || e == s || *e != '\0' || v < min || v > max) {
		fprintf(stderr,
		    "genlog: -%c: \"%s\" is not a number in %lld..%lld\n", opt,
		    s, min, max);
		exit(64);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct gen g;
	unsigned table[1024], nt = 0, total = 0;
	int ch;

	memset(&g, 0, sizeof(g));
	g.nlines = 1000000;
	g.seed = 1;
	g.pool = 10000;
	g.fmt = FMT_TRAD;
	g.pct6 = 10;
	g.zipf = 50;
	g.t0 = 1795392000; /* 2026-11-23 00:00:00 UTC */
	g.rate = 200;
	while ((ch = getopt(argc, argv, "n:s:i:f:6:t:r:z:")) != -1) {
		switch (ch) {
		case 'n':
			g.nlines =
			    (uint64_t)num(optarg, 0, 1000000000000ll, ch);
			break;
		case 's':
			g.seed = (uint64_t)num(optarg, 0, INT64_MAX, ch);
			break;
		case 'i':
			g.pool =
			    (uint64_t)num(optarg, 1, (long long)POOL_MAX, ch);
			break;
		case 'f':
			if (strcmp(optarg, "traditional") == 0)
				g.fmt = FMT_TRAD;
			else if (strcmp(optarg, "rfc3339") == 0)
				g.fmt = FMT_RFC3339;
			else if (strcmp(optarg, "mixed") == 0)
				g.fmt = FMT_MIXED;
			else
				usage();
			break;
		case '6':
			g.pct6 = (unsigned)num(optarg, 0, 100, ch);
			break;
		case 't':
			g.t0 = num(optarg, 0, 253402300799ll, ch);
			break;
		case 'r':
			g.rate = (uint64_t)num(optarg, 1, 100000000, ch);
			break;
		case 'z':
			g.zipf = (unsigned)num(optarg, 0, 100, ch);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((uint64_t)g.t0 + g.nlines / g.rate > 253402300799ull) {
		fprintf(stderr, "genlog: log time would pass the year 9999\n");
		return 64;
	}

	g.rng = g.seed;
	g.key4 = (uint32_t)mix64(g.seed ^ 0x4444);
	g.key6 = (uint32_t)mix64(g.seed ^ 0x6666);
	g.keyname = mix64(g.seed ^ 0x4e4e);
	g.users = g.pool / 20 > 0 ? g.pool / 20 : 1;
	g.cached_sec = -1;
	if ((g.buf = malloc(BUF_SIZE)) == NULL) {
		fprintf(stderr, "genlog: out of memory\n");
		return 71;
	}
	g.p = g.buf;
	g.end = g.buf + BUF_SIZE;
	if (g.nlines == 0)
		return 0;

	/* weights -> a table of event numbers, one draw picks an event */
	for (size_t i = 0; i < NITEMS(events); i++)
		total += events[i].weight;
	for (size_t i = 0; i < NITEMS(events); i++)
		for (unsigned w = 0; w < events[i].weight && nt < NITEMS(table);
		     w++)
			table[nt++] = (unsigned)i;
	if (nt != total) {
		fprintf(stderr, "genlog: event weights exceed the table\n");
		return 70;
	}
	for (;;) /* end() exits after the last line */
		events[table[below(&g, nt)]].fn(&g);
}
