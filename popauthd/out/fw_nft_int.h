/*
 * fw_nft_int.h - private to the nftables backend: fw_nft.c (open, ban,
 * unban, close: the command buffers and the libnftables context) and
 * fw_nft_sync.c (what reads the kernel back: reconcile and the remaining
 * times of list bans).  fw_nft.c says what the table holds.
 */
#ifndef POPAUTHD_FW_NFT_INT_H
#define POPAUTHD_FW_NFT_INT_H

#include "fw.h"

#include <nftables/libnftables.h>
#include <stddef.h>
#include <time.h>

/* the six sets: kind (IPv4 host, IPv6 host, IPv6 /64) by scope */
enum nft_kind { NK_4, NK_6, NK_NET6, NK_COUNT };

struct nft_setdef {
	const char *name[2]; /* [SCOPE_ALL], [SCOPE_SMTP] */
	const char *type;
	const char *flags;
	const char *match; /* the rule's selector */
};

/* the sets by kind */
extern const struct nft_setdef fw_nft_sets[NK_COUNT];

/* one command buffer: a growing string, owned by its user (free(b.p)) */
struct nbuf {
	char *p;
	size_t n, cap;
};

/* fw_nft_ctx - the libnftables context, or NULL before the first open */
struct nft_ctx *fw_nft_ctx(void);
/* fw_nft_settings - the settings in force, or NULL when not open */
const struct fw_settings *fw_nft_settings(void);

/* fw_nft_nb_init - an empty buffer */
void fw_nft_nb_init(struct nbuf *b);
/* fw_nft_nb_add - append printf text to b */
void fw_nft_nb_add(struct nbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* fw_nft_nb_setup - declare table, sets and chain under s (idempotent) */
void fw_nft_nb_setup(struct nbuf *b, const struct fw_settings *s);
/* fw_nft_nb_del - delete a from set, whether or not it is there */
void fw_nft_nb_del(struct nbuf *b, const char *set, const struct addr *a);
/* fw_nft_nb_put - add a to set, timing out at unban */
void fw_nft_nb_put(
    struct nbuf *b, const char *set, const struct addr *a, time_t unban);
/* fw_nft_kind - which set family a belongs to */
enum nft_kind fw_nft_kind(const struct addr *a);
/* fw_nft_remaining - seconds of a ban until unban; 0: no kernel timeout */
long long fw_nft_remaining(time_t unban);
/*
 * fw_nft_run - one transaction; 0, or -1 with nft's message logged after
 * what.  With out, the output buffer is copied there (caller frees).
 */
int fw_nft_run(const char *text, const char *what, char **out);

/* fw_nft_reconcile - fw_ops.reconcile (fw_nft_sync.c) */
int fw_nft_reconcile(const struct fw_target *set, size_t n);
/* fw_nft_left - fw_ops.left: the kernel's timers (fw_nft_sync.c) */
int fw_nft_left(struct fw_left **v, size_t *n);

#endif
