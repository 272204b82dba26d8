/*
 * iptab.h - a hash table from client address to a tracker's record.
 *
 * For grant.c, blacklist.c, fish.c.  Open addressing with linear probing and
 * backward-shift deletion, no per-entry allocation: a slot is the record
 * pointer and a one-byte hash tag, 9 bytes, so a million addresses (2^21
 * slots at load <= 3/4) take 18 MiB.  The record itself belongs to the
 * caller; the table stores the pointer, and the record must start with (or
 * hold) the struct addr that the key function returns, unchanged while the
 * record is in the table (growth and deletion hash it again).
 */
#ifndef POPAUTHD_IPTAB_H
#define POPAUTHD_IPTAB_H

#include "addr.h"

#include <stddef.h>
#include <stdint.h>

struct iptab;

/* the caller's record -> its address (records are opaque to the table) */
typedef const struct addr *iptab_key_fn(const void *rec);

/* iptab_new - empty table; caller owns; iptab_free() */
struct iptab *iptab_new(iptab_key_fn *key);
/* iptab_free - release the table, not the records */
void iptab_free(struct iptab *t);
/*
 * iptab_get - the record for a, or NULL (borrowed).  The table remembers
 * its last answer: an event asks each table for its client several times.
 */
void *iptab_get(struct iptab *t, const struct addr *a);
/* iptab_put - insert rec (its address must not be present yet) */
void iptab_put(struct iptab *t, void *rec);
/* iptab_del - remove the record for a; returns it or NULL */
void *iptab_del(struct iptab *t, const struct addr *a);
/*
 * iptab_sample - a record picked by r (a random number): the first one at
 * or after slot r; NULL when the table is empty.  For eviction by sampling.
 */
void *iptab_sample(const struct iptab *t, uint64_t r);
/* iptab_size - number of records */
size_t iptab_size(const struct iptab *t);
/* iptab_each - call fn for every record; fn must not change the table */
void iptab_each(
    const struct iptab *t, void (*fn)(void *arg, void *rec), void *arg);
/*
 * iptab_each_ordered - as iptab_each, in ascending order(arg, address) (for
 * the map writer, map_addr_order); equal orders in table order.  Needs 8
 * bytes per record for the sort (and qsort as much again); without that
 * memory it falls back to table order.
 */
void iptab_each_ordered(const struct iptab *t,
    uint32_t (*order)(void *arg, const struct addr *a),
    void (*fn)(void *arg, void *rec), void *arg);

#endif
