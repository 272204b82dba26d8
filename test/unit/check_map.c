/*
 * check_map.c - map.c writes tables that libdb reads back as Postfix does:
 * full rewrites in bucket order, delta flushes on a copy of the live file,
 * the fall-back to a full rewrite, and a new inode on every flush.  lmdb:
 * tables are read back with Postfix's own reader, postmap -s/-q lmdb: (with
 * a private config dir), and must keep their inode: changed in place, the
 * change numbers (map_holds) moving only once a transaction is committed.
 *
 * The "tracker" here is an array of addresses with a present flag; each
 * check reads the table with a plain DB_RDONLY open and a get of the key
 * with its trailing NUL, the lookup smtpd's dict_db makes.
 */
#include "test.h"

#include "addr.h"
#include "iptab.h"
#include "map.h"
#include "util.h"

#include <db.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = 3000 };

struct rec {
	struct addr ip;
	bool present;
};

static struct rec recs[N];
static struct iptab *tab;
static char dir[] = "/tmp/check_map.XXXXXX";

static const struct addr *
rec_key(const void *r)
{
	return &((const struct rec *)r)->ip;
}

static const char *
rec_value(const struct addr *a, char *buf, size_t size)
{
	const struct rec *r = iptab_get(tab, a);

	if (r == NULL)
		return NULL;
	snprintf(buf, size, "554 5.7.1 listed %u", (unsigned)a->b[3]);
	return buf;
}

static void
put_one(void *w, void *r)
{
	char ip[ADDR_STRLEN], val[64];

	addr_format(&((struct rec *)r)->ip, ip, sizeof(ip));
	map_put(w, ip, rec_value(&((struct rec *)r)->ip, val, sizeof(val)));
}

static int walks; /* full rewrites: a delta flush must not walk */

static void
walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	walks++;
	iptab_each_ordered(tab, map_addr_order, put_one, w);
}

static void
set(size_t i, bool on)
{
	if (on && !recs[i].present)
		iptab_put(tab, &recs[i]);
	else if (!on && recs[i].present)
		iptab_del(tab, &recs[i].ip);
	recs[i].present = on;
}

static void
setup(void)
{
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	tab = iptab_new(rec_key);
	for (i = 0; i < N; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].ip.family = (i % 5 == 0) ? 6 : 4;
		recs[i].ip.b[0] = recs[i].ip.family == 6 ? 0x20 : 10;
		recs[i].ip.b[2] = (uint8_t)(i >> 8);
		recs[i].ip.b[3] = (uint8_t)i;
	}
}

/* verify - the table on disk holds exactly the present records */
static void
verify(const char *path)
{
	DB *db;
	size_t i, found = 0;
	DB_HASH_STAT *hs = NULL;

	ck_assert_int_eq(db_create(&db, NULL, 0), 0);
	ck_assert_int_eq(
	    db->open(db, NULL, path, NULL, DB_HASH, DB_RDONLY, 0), 0);
	for (i = 0; i < N; i++) {
		char ip[ADDR_STRLEN], want[64];
		DBT k, v;
		int rc;

		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		addr_format(&recs[i].ip, ip, sizeof(ip));
		k.data = ip;
		k.size = (u_int32_t)strlen(ip) + 1;
		rc = db->get(db, NULL, &k, &v, 0);
		if (!recs[i].present) {
			ck_assert_msg(
			    rc == DB_NOTFOUND, "%s still in table", ip);
			continue;
		}
		ck_assert_msg(rc == 0, "%s missing: %s", ip, db_strerror(rc));
		rec_value(&recs[i].ip, want, sizeof(want));
		ck_assert_uint_eq(v.size, strlen(want) + 1);
		ck_assert_str_eq(v.data, want);
		found++;
	}
	ck_assert_int_eq(db->stat(db, NULL, &hs, 0), 0);
	ck_assert_uint_eq(hs->hash_ndata, found);
	free(hs);
	db->close(db, 0);
}

static int
files_in(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

static ino_t
inode(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

static void
teardown(struct map *m)
{
	char cmd[256];

	map_close(m);
	iptab_free(tab);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_map.XXXXXX");
}

START_TEST(test_full_ordered)
{
	struct map *m;
	size_t i;

	setup();
	m = map_open(dir, "t", "hash");
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < N; i++)
		set(i, true);
	map_touch(m);
	map_size_hint(m, N);
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert(!map_dirty(m));
	verify(map_path(m));
	teardown(m);
}
END_TEST

START_TEST(test_delta)
{
	struct map *m;
	size_t i;
	ino_t before;

	setup();
	m = map_open(dir, "t", "hash");
	map_set_value_fn(m, rec_value);
	for (i = 0; i < N; i += 2)
		set(i, true);
	map_touch(m);
	map_size_hint(m, N / 2);
	ck_assert(!map_delta_ready(m)); /* touched: a full rewrite */
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	verify(map_path(m));

	/* add some, remove some, remove one that was never there */
	for (i = 1; i < 200; i += 2) {
		set(i, true);
		map_change(m, &recs[i].ip);
	}
	for (i = 0; i < 100; i += 2) {
		set(i, false);
		map_change(m, &recs[i].ip);
	}
	map_change(m, &recs[N - 1].ip);
	ck_assert(map_dirty(m));
	ck_assert(map_delta_ready(m));
	before = inode(map_path(m));
	walks = 0;
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert_int_eq(walks, 0);
	ck_assert(!map_dirty(m));
	ck_assert(!map_delta_ready(m));
	ck_assert(inode(map_path(m)) != before); /* renamed over, not edited */
	verify(map_path(m));
	ck_assert_int_eq(files_in(dir), 1); /* no temporary file left */

	/* the live file removed by hand: the delta cannot copy it, so the
	 * flush falls back to a complete table from the walk */
	set(300, false);
	map_change(m, &recs[300].ip);
	ck_assert_int_eq(unlink(map_path(m)), 0);
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert_int_eq(walks, 1);
	verify(map_path(m));
	teardown(m);
}
END_TEST

START_TEST(test_delta_limits)
{
	struct map *m;
	size_t i;

	setup();
	m = map_open(dir, "t", "hash");
	/* without a value fn every change means a full rewrite */
	set(1, true);
	map_change(m, &recs[1].ip);
	ck_assert(!map_delta_ready(m));
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	verify(map_path(m));

	map_set_value_fn(m, rec_value);
	set(2, true);
	map_change(m, &recs[2].ip);
	ck_assert(map_delta_ready(m));
	/* churn beyond what deltas may pile up: back to a full rewrite */
	map_size_hint(m, 2);
	for (i = 0; i < 2000; i++) {
		set(3 + i % 50, i % 2 == 0);
		map_change(m, &recs[3 + i % 50].ip);
	}
	ck_assert(!map_delta_ready(m));
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	verify(map_path(m));
	/* a change list past its cap turns into a full rewrite too */
	for (i = 0; i < 5000; i++)
		map_change(m, &recs[i % N].ip);
	ck_assert(!map_delta_ready(m));
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	verify(map_path(m));
	teardown(m);
}
END_TEST

/* pf_ready - a private Postfix config dir in dir/pf; false: no lmdb: postmap */
static bool
pf_ready(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	    "mkdir -p %s/pf && echo 'compatibility_level = 3.6' >%s/pf/main.cf "
	    "&& postconf -c %s/pf -m 2>/dev/null | grep -qx lmdb",
	    dir, dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr,
		    "check_map: no lmdb: support in postmap; "
		    "lmdb cases skipped\n");
		return false;
	}
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* verify_lmdb - postmap -s lmdb: lists exactly the present records */
static void
verify_lmdb(void)
{
	char cmd[512], line[256], **got = xcalloc(N + 1, sizeof(*got));
	char **want = xcalloc(N, sizeof(*want));
	size_t i, ngot = 0, nwant = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "postmap -c %s/pf -s lmdb:%s/t", dir, dir);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		ck_assert_uint_lt(ngot, N + 1);
		line[strcspn(line, "\n")] = '\0';
		got[ngot++] = xstrdup(line);
	}
	ck_assert_int_eq(pclose(f), 0);
	for (i = 0; i < N; i++) {
		char ip[ADDR_STRLEN], val[64];

		if (!recs[i].present)
			continue;
		addr_format(&recs[i].ip, ip, sizeof(ip));
		rec_value(&recs[i].ip, val, sizeof(val));
		snprintf(line, sizeof(line), "%s\t%s", ip, val);
		want[nwant++] = xstrdup(line);
	}
	ck_assert_uint_eq(ngot, nwant);
	qsort(got, ngot, sizeof(*got), cmp_str);
	qsort(want, nwant, sizeof(*want), cmp_str);
	for (i = 0; i < ngot; i++) {
		ck_assert_str_eq(got[i], want[i]);
		free(got[i]);
		free(want[i]);
	}
	free(got);
	free(want);
}

/* lmdb_q - what postmap -q KEY lmdb: answers ("" when absent) */
static const char *
lmdb_q(const char *key, char *buf, size_t size)
{
	char cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "postmap -c %s/pf -q %s lmdb:%s/t", dir, key,
	    dir);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	buf[0] = '\0';
	if (fgets(buf, (int)size, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	pclose(f);
	return buf;
}

START_TEST(test_lmdb_in_place)
{
	struct map *m;
	unsigned long long c;
	char buf[128], ip[ADDR_STRLEN];
	size_t i;
	ino_t before;

	setup();
	if (!pf_ready()) {
		teardown(NULL);
		return;
	}
	m = map_open(dir, "t", "lmdb");
	ck_assert_ptr_nonnull(m);
	ck_assert(map_in_place(m));
	ck_assert_str_eq(strrchr(map_path(m), '.'), ".lmdb");
	verify_lmdb(); /* created empty and valid */
	map_set_value_fn(m, rec_value);
	for (i = 0; i < N; i += 2)
		set(i, true);
	map_touch(m);
	map_size_hint(m, N / 2);
	ck_assert(!map_delta_ready(m));
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	verify_lmdb();
	before = inode(map_path(m));

	/* a delta: puts and deletes in place, no walk, no new file */
	for (i = 1; i < 200; i += 2) {
		set(i, true);
		map_change(m, &recs[i].ip);
	}
	for (i = 0; i < 100; i += 2) {
		set(i, false);
		map_change(m, &recs[i].ip);
	}
	map_change(m, &recs[N - 1].ip); /* never there: a delete of nothing */
	c = map_changes(m);
	ck_assert(!map_holds(m, c));
	ck_assert(map_delta_ready(m));
	ck_assert(map_delta_cheap(m)); /* never in a child */
	ck_assert_int_eq(map_flush_bg(m, walk, NULL), -1);
	walks = 0;
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert_int_eq(walks, 0);
	ck_assert(map_holds(m, c));
	ck_assert(!map_dirty(m));
	ck_assert(inode(map_path(m)) == before);
	ck_assert_int_eq(files_in(dir), 2); /* t.lmdb and pf: no lock file */
	verify_lmdb();
	addr_format(&recs[1].ip, ip, sizeof(ip));
	ck_assert_str_eq(lmdb_q(ip, buf, sizeof(buf)), "554 5.7.1 listed 1");
	addr_format(&recs[0].ip, ip, sizeof(ip));
	ck_assert_str_eq(lmdb_q(ip, buf, sizeof(buf)), "");

	/* a full rewrite (template change): emptied and refilled in place */
	set(2, false);
	map_touch(m);
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert_int_eq(walks, 1);
	ck_assert(inode(map_path(m)) == before);
	verify_lmdb();

	/* removed by hand: map_check notices, the next flush writes it all */
	ck_assert_int_eq(unlink(map_path(m)), 0);
	ck_assert(map_check(m));
	ck_assert_int_eq(map_flush(m, walk, NULL), 0);
	ck_assert(!map_check(m));
	verify_lmdb();
	teardown(m);
}
END_TEST

/* big_walk - 200000 records of ~120 bytes: more than the first 16 MiB map */
static void
big_walk(void *arg, struct map_writer *w)
{
	char key[32], val[128];
	int i;

	UNUSED(arg);
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "k%06d", i);
		snprintf(val, sizeof(val), "554 5.7.1 %0100d", i);
		map_put(w, key, val);
	}
}

START_TEST(test_lmdb_grows)
{
	struct map *m;
	char cmd[512], buf[256], want[128];
	FILE *f;

	setup();
	if (!pf_ready()) {
		teardown(NULL);
		return;
	}
	m = map_open(dir, "t", "lmdb");
	map_touch(m); /* no size hint: MDB_MAP_FULL, grow, do it again */
	ck_assert_int_eq(map_flush(m, big_walk, NULL), 0);
	snprintf(cmd, sizeof(cmd), "postmap -c %s/pf -s lmdb:%s/t | wc -l", dir,
	    dir);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	pclose(f);
	ck_assert_int_eq(strtol(buf, NULL, 10), 200000);
	snprintf(want, sizeof(want), "554 5.7.1 %0100d", 199999);
	ck_assert_str_eq(lmdb_q("k199999", buf, sizeof(buf)), want);
	teardown(m);
}
END_TEST

static Suite *
map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_full_ordered);
	tcase_add_test(tc, test_delta);
	tcase_add_test(tc, test_delta_limits);
	tcase_add_test(tc, test_lmdb_in_place);
	tcase_add_test(tc, test_lmdb_grows);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(map_suite)
