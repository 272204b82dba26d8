/*
 * addr.c - parse, fold, format and hash client addresses; CIDR matching.
 *
 * Every IP that reaches a map, a firewall rule or the state passes addr_parse,
 * so text an attacker shaped ("1.2.3.4 x", "999.1.1.1", "::ffff:1.2.3.4]") is
 * either a real address or nothing; and every new entry passes
 * addr_is_client, so it is never 0.0.0.0, ::, multicast or the broadcast.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/*
 * pton4 - glibc's inet_pton4 on s[0, n) without the copy and the NUL: four
 * decimal octets up to 255, no leading zero, nothing else; 0 or -1
 */
static int
pton4(const char *s, size_t n, uint8_t b[4])
{
	unsigned v = 0;
	int octets = 0;
	bool digit = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digit && v == 0)
				return -1;
			v = v * 10 + (unsigned)(s[i] - '0');
			if (v > 255)
				return -1;
			if (!digit) {
				if (++octets > 4)
					return -1;
				digit = true;
			}
			b[octets - 1] = (uint8_t)v;
		} else if (s[i] == '.' && digit) {
			if (octets == 4)
				return -1;
			v = 0;
			digit = false;
		} else {
			return -1;
		}
	}
	return octets == 4 && digit ? 0 : -1;
}

int
addr_parse(const char *s, size_t n, struct addr *a)
{
	char buf[ADDR_STRLEN + 8];
	uint8_t b[16];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return -1;
	if (n > 3 && memcmp(s + n - 3, "/64", 3) == 0 &&
	    memchr(s, ':', n) != NULL) {
		/* an IPv6 /64 network, as addr_format writes one */
		if (addr_parse(s, n - 3, a) < 0 || a->family != 6 ||
		    memcmp(a->b + 8, "\0\0\0\0\0\0\0\0", 8) != 0)
			return -1;
		a->family = ADDR_NET6;
		return 0;
	}
	if (memchr(s, ':', n) == NULL) {
		if (pton4(s, n, b) < 0)
			return -1;
		memset(a, 0, sizeof(*a));
		a->family = 4;
		memcpy(a->b, b, 4);
		return 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -1;
	if (memcmp(b, v4mapped, sizeof(v4mapped)) == 0) {
		a->family = 4;
		memcpy(a->b, b + 12, 4);
		return 0;
	}
	a->family = 6;
	memcpy(a->b, b, 16);
	return 0;
}

/* format4 - dotted quad into buf (size >= 16): inet_ntop's, without sprintf */
static void
format4(const uint8_t *b, char *buf)
{
	char *p = buf;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

/*
 * format6 - inet_ntop's IPv6 text into buf (size >= 46), without sprintf:
 * the longest run of two or more zero groups (the first of equals) is
 * "::", and ::a.b.c.d and ::ffff:a.b.c.d end in a dotted quad
 */
static void
format6(const uint8_t *b, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int i, run = -1, len = 0, cur = -1, clen = 0;
	char *p = buf;

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, clen = 0;
			if (++clen > len)
				run = cur, len = clen;
		} else {
			cur = -1;
		}
	}
	if (len < 2)
		run = -1;
	for (i = 0; i < 8; i++) {
		int sh;

		if (run >= 0 && i >= run && i < run + len) {
			if (i == run)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && run == 0 &&
		    (len == 6 || (len == 5 && w[5] == 0xffff))) {
			format4(b + 12, p);
			return;
		}
		for (sh = 12; sh > 0 && (w[i] >> sh) == 0; sh -= 4)
			;
		for (; sh >= 0; sh -= 4)
			*p++ = hex[(w[i] >> sh) & 15];
	}
	if (run >= 0 && run + len == 8)
		*p++ = ':';
	*p = '\0';
}

/* the calling thread's last text: an event names its client many times */
static _Thread_local struct {
	struct addr a; /* family 0: none yet */
	size_t n;      /* strlen(s) */
	char s[ADDR_STRLEN];
} last;

const char *
addr_format(const struct addr *a, char *buf, size_t size)
{
	if ((a->family == 4 || a->family == 6) && size >= ADDR_STRLEN) {
		if (!addr_equal(&last.a, a)) {
			if (a->family == 4)
				format4(a->b, last.s);
			else
				format6(a->b, last.s);
			last.a = *a;
			last.n = strlen(last.s);
		}
		memcpy(buf, last.s, last.n + 1);
		return buf;
	}
	if (a->family == 4 && size >= 16) {
		format4(a->b, buf);
		return buf;
	}
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, buf,
	        (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	else if (a->family == ADDR_NET6 && strlen(buf) + 4 <= size)
		snprintf(buf + strlen(buf), size - strlen(buf), "/64");
	return buf;
}

const char *
addr_map_key(const struct addr *a, char *buf, size_t size)
{
	int i;

	if (a->family != ADDR_NET6)
		return addr_format(a, buf, size);
	for (i = 0; i < 8; i += 2)
		if (a->b[i] == 0 && a->b[i + 1] == 0)
			return NULL;
	snprintf(buf, size, "%x:%x:%x:%x", a->b[0] << 8 | a->b[1],
	    a->b[2] << 8 | a->b[3], a->b[4] << 8 | a->b[5],
	    a->b[6] << 8 | a->b[7]);
	return buf;
}

void
addr_net64(const struct addr *ip, struct addr *net)
{
	*net = *ip;
	net->family = ADDR_NET6;
	memset(net->b + 8, 0, 8);
}

int
addr_ipfamily(const struct addr *a)
{
	return a->family == 4 ? 4 : 6;
}

bool
addr_is_client(const struct addr *a)
{
	static const uint8_t zero[16];

	if (a->family == ADDR_NET6)
		return false; /* a /64 offender is no one client */
	if (a->family == 4)
		/* 0/8 this network, 224/4 multicast, the limited broadcast;
		 * the reserved 240/4 is left alone: some networks use it */
		return a->b[0] != 0 && (a->b[0] & 0xf0) != 0xe0 &&
		    !(a->b[0] == 255 && a->b[1] == 255 && a->b[2] == 255 &&
		        a->b[3] == 255);
	return memcmp(a->b, zero, sizeof(zero)) != 0 && a->b[0] != 0xff;
}

static uint64_t hash_k0, hash_k1;

void
addr_hash_key(uint64_t k0, uint64_t k1)
{
	hash_k0 = k0;
	hash_k1 = k1;
}

uint64_t
addr_hash(const struct addr *a)
{
	uint64_t h1, h2, h;

	memcpy(&h1, a->b, 8);
	memcpy(&h2, a->b + 8, 8);
	/* the key goes in before the multiplies, so the final mix cannot be
	 * inverted to addresses without it */
	h = (h1 ^ hash_k0) * 0x9e3779b97f4a7c15ULL ^
	    ((h2 ^ hash_k1) + a->family) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h ^= hash_k0;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int
cidr_parse(const char *s, struct cidr *c)
{
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len, max, i;
	char *end;

	if (addr_parse(s, n, &c->net) < 0)
		return -1;
	max = c->net.family == 4 ? 32 : 128;
	if (slash == NULL) {
		len = max;
	} else {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > max)
			return -1;
	}
	/* host bits must be zero: "10.1.2.3/8" is almost always a typo */
	for (i = len; i < max; i++)
		if (c->net.b[i / 8] & (0x80 >> (i % 8)))
			return -1;
	c->len = (uint8_t)len;
	return 0;
}

bool
cidr_match(const struct cidr *c, const struct addr *a)
{
	unsigned int full = c->len / 8, rest = c->len % 8;

	if (a->family != c->net.family)
		return false;
	if (memcmp(a->b, c->net.b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->b[full] ^ c->net.b[full]) & (0xff00 >> rest)) == 0;
}
