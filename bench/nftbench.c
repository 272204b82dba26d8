/*
 * nftbench.c - the nftables rows of bench/run: fw_nft.c (firewall_backend =
 * nftables) through fw.h, linked with build/release/libpopauthd.a, so the
 * numbers are the daemon's own command buffers and libnftables calls
 * without the log, rules or state around them.
 *
 *     unshare -n bench/out/nftbench BULK SET SAMPLES
 *
 * Must run inside a private network namespace (bench/run uses unshare -n):
 * it flushes the namespace's ruleset first and never sees the host's.
 *   bulk:  an empty table, then fw_reconcile of BULK bans (10,000): one
 *          nft transaction adding BULK timed elements to ban4 (what a
 *          start-up restore does); then fw_close removes the table.
 *   one:   fw_reconcile of SET bans (100,000) into ban4, then SAMPLES
 *          fw_ban calls of new addresses, each one transaction (as a live
 *          ban: re-declare table, sets and chain, delete both scopes'
 *          elements, add one with its timeout), timed one by one.
 * Prints one line: bulk_ms=... set_fill_ms=... one_p50_us=... one_min_us=...
 * one_max_us=... elems=... (elems: ban4 elements at the end, from fw_kernel_left).
 * Exit 1 with a message when a call fails.
 */
#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "fw.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct walk {
	unsigned long base, n;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* nth - the i-th test address: 11.0.0.0 + i (genbl's range) */
static struct addr
nth(unsigned long i)
{
	char ip[32];
	struct addr a;

	i += 11UL << 24;
	snprintf(ip, sizeof(ip), "%lu.%lu.%lu.%lu", i >> 24, (i >> 16) & 255,
	    (i >> 8) & 255, i & 255);
	if (addr_parse(ip, strlen(ip), &a) < 0) {
		fprintf(stderr, "nftbench: bad address %s\n", ip);
		exit(1);
	}
	return a;
}

static void
walk_n(void *arg, fw_add_fn *add, void *ctx)
{
	struct walk *w = arg;
	unsigned long i;

	for (i = 0; i < w->n; i++) {
		struct addr a = nth(w->base + i);

		add(ctx, &a, SCOPE_ALL, clock_now() + 3600);
	}
}

static void
open_fw(void)
{
	char *ovr[] = {(char *)"firewall_backend=nftables"};
	struct conf *c = conf_load(NULL, ovr, 1);

	if (c == NULL || fw_open(c) < 0) {
		fprintf(stderr, "nftbench: cannot open nftables\n");
		exit(1);
	}
	conf_free(c);
}

static int
cmp_ll(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return a < b ? -1 : a > b;
}

int
main(int argc, char **argv)
{
	unsigned long bulk, set, samples, i;
	struct walk w;
	long long t0, bulk_us, fill_us, *one;
	struct fw_left *v = NULL;
	size_t n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: nftbench BULK SET SAMPLES\n");
		return 2;
	}
	bulk = strtoul(argv[1], NULL, 10);
	set = strtoul(argv[2], NULL, 10);
	samples = strtoul(argv[3], NULL, 10);
	if (samples == 0 || (one = calloc(samples, sizeof(*one))) == NULL)
		return 2;
	log_open(NULL, false, false);
	if (system("nft flush ruleset") != 0)
		return 1;

	open_fw();
	w.base = 0;
	w.n = bulk;
	t0 = now_us();
	if (fw_reconcile(walk_n, &w) < 0)
		return 1;
	bulk_us = now_us() - t0;
	fw_close(false);

	open_fw();
	w.n = set;
	t0 = now_us();
	if (fw_reconcile(walk_n, &w) < 0)
		return 1;
	fill_us = now_us() - t0;
	for (i = 0; i < samples; i++) {
		struct addr a = nth(set + i);

		t0 = now_us();
		if (fw_ban(&a, SCOPE_ALL, clock_now() + 3600) < 0)
			return 1;
		one[i] = now_us() - t0;
	}
	if (fw_kernel_left(&v, &n) < 0)
		return 1;
	free(v);
	fw_close(false);
	qsort(one, samples, sizeof(*one), cmp_ll);
	printf("bulk_ms=%.1f set_fill_ms=%.1f one_p50_us=%lld one_min_us=%lld "
	       "one_max_us=%lld elems=%zu\n",
	    bulk_us / 1000.0, fill_us / 1000.0, one[(samples - 1) / 2], one[0],
	    one[samples - 1], n);
	free(one);
	return 0;
}
