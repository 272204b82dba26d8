/*
 * check_map.c - map.c writes tables that libdb reads back as Postfix does:
 * full rewrites in bucket order, delta flushes on a copy of the live file,
 * the fall-back to a full rewrite, and a new inode on every flush.
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

static Suite *
map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_full_ordered);
	tcase_add_test(tc, test_delta);
	tcase_add_test(tc, test_delta_limits);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(map_suite)
