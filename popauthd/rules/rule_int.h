/*
 * rule_int.h - what rule.c (matching) and rule_load.c (loading) share: the
 * compiled rule and ruleset.  Private to those two files; everyone else uses
 * rule.h.
 */
#ifndef POPAUTHD_RULE_INT_H
#define POPAUTHD_RULE_INT_H

#include "rule.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdbool.h>
#include <stdint.h>

#define CACHE_SLOTS  256     /* distinct tags remembered (direct-mapped) */
#define CACHE_TAGMAX 64      /* longer tags are looked up every time */
#define MAXDUP       4       /* groups sharing one capture name */
#define MAXRULES     65535   /* candidate lists hold uint16_t */
#define MATCH_LIMIT  1000000 /* backtracking bound per line and rule */
#define JIT_STACK    (1024 * 1024) /* bytes, for long attacker-made lines */

struct rule {
	char *name;
	enum ev_kind kind;
	pcre2_code *tag;
	char *literal; /* NULL: no prefilter */
	size_t litlen;
	char *gate; /* NULL: none; see rule.c */
	size_t gatelen;
	pcre2_code *re;
	bool jit;
	uint8_t ngrp[F_NFIELDS];
	uint16_t grp[F_NFIELDS][MAXDUP];
	unsigned long long hits;
};

struct tagslot {
	bool used;
	uint8_t len;
	char tag[CACHE_TAGMAX];
	uint16_t n;
	uint16_t *cand; /* into ruleset.candmem */
	const struct rule
	    *gaterule; /* its gate is every candidate's, or NULL */
};

struct ruleset {
	struct rule *r;
	size_t n, cap;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	uint16_t *candmem; /* CACHE_SLOTS * n */
	uint16_t *scratch; /* n: candidates of an uncacheable tag */
	struct tagslot slot[CACHE_SLOTS];
};

/* kind and field names, indexed by enum ev_kind / enum ev_field */
extern const char *const rule_kind_names[EV_NKINDS];
extern const char *const rule_field_names[F_NFIELDS];

/* rule_kind_needs_ip - false only for kinds whose lines name no client */
bool rule_kind_needs_ip(enum ev_kind k);
/* rule_release - free what one compiled rule owns */
void rule_release(struct rule *r);

#endif
