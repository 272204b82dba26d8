/*
 * addr.h - client IP addresses as popauthd keeps them, and CIDR networks.
 *
 * For rule.c (captures), every tracker, map.c (keys) and whitelist.c.  An address
 * exists only after inet_pton() accepted it; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, as Dovecot and Courier log on dual-stack sockets) is folded to
 * IPv4, because that is what Postfix sees and looks up.
 */
#ifndef POPAUTHD_ADDR_H
#define POPAUTHD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

#define ADDR_NET6 64 /* family of an IPv6 /64 network (blacklist prefixes) */

struct addr {
	uint8_t family; /* 4, 6, or ADDR_NET6 (b[8..15] zero) */
	uint8_t b[16];  /* IPv4 in b[0..3], the rest zero */
};

struct cidr {
	struct addr net;
	uint8_t len; /* prefix length in bits */
};

/*
 * addr_parse - text (n bytes, not NUL-terminated) into *a; accepts dotted quads,
 * IPv6 in any inet_pton form, "[...]" and "IPv6:" wrappers, and folds v4-mapped.
 * Returns 0, or -1 for anything inet_pton refuses.
 */
int addr_parse(const char *s, size_t n, struct addr *a);
/*
 * addr_format - dotted quad or compressed lower-case v6 (the key Postfix
 * looks up for a host); a network as "2001:db8:1:2::/64".  addr_parse takes
 * that form back (the /64 of an IPv6 address whose host bits are zero).
 */
const char *addr_format(const struct addr *a, char *buf, size_t size);
/*
 * addr_map_key - the hash: table key smtpd finds a for: addr_format for a
 * host; for a /64 "2001:db8:1:2", which smtpd's check_client_access reaches
 * by cutting ":part"s off the compressed client address; NULL for a /64
 * with a zero in its first four groups (compression can swallow it)
 */
const char *addr_map_key(const struct addr *a, char *buf, size_t size);
/* addr_net64 - the /64 network (family ADDR_NET6) of IPv6 address ip */
void addr_net64(const struct addr *ip, struct addr *net);
/* addr_ipfamily - 4 or 6: the IP version of a host or network */
int addr_ipfamily(const struct addr *a);
/* addr_equal - same family and bytes (inline: every table probe asks) */
static inline bool
addr_equal(const struct addr *x, const struct addr *y)
{
	return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}
/*
 * addr_is_client - a may be a client's source address: false for the
 * unspecified ("this network" 0.0.0.0/8, ::), multicast (224.0.0.0/4,
 * ff00::/8) and the IPv4 broadcast 255.255.255.255, which no TCP peer has;
 * granting, listing or banning one is a mistake or an attack (a forged log
 * line, a stray "grant 0.0.0.0")
 */
bool addr_is_client(const struct addr *a);
/* addr_hash - a well-mixed 64-bit hash for hash tables, keyed by addr_hash_key */
uint64_t addr_hash(const struct addr *a);
/*
 * addr_hash_key - key addr_hash with random bits (main.c, once at start): an
 * attacker who holds an IPv6 /64 picks 2^64 source addresses and could
 * otherwise compute ones that share a hash slot and make every lookup walk a
 * long cluster.  Keyed, not cryptographic; key 0 (tests) is deterministic.
 */
void addr_hash_key(uint64_t k0, uint64_t k1);
/* cidr_parse - "a.b.c.d[/n]" or "v6[/n]" (bits beyond n must be zero); 0 or -1 */
int cidr_parse(const char *s, struct cidr *c);
/* cidr_match - true if a lies inside c (families must agree) */
bool cidr_match(const struct cidr *c, const struct addr *a);

#endif
