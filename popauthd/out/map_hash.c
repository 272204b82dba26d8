/*
 * map_hash.c - Postfix hash: tables: Berkeley DB 5.3 DB_HASH (map_be.h).
 *
 * For map.c.  Keys and values are written with their trailing NUL, as
 * postmap does and smtpd looks them up.  A full rewrite puts records in the
 * order of libdb's own bucket hash (FNV-1, __ham_func5), so pages fill one
 * after another and a cache of a few MiB is enough: 1M records in ~2 s with
 * 4 MiB (12 s unordered with 16 MiB).  The order only affects speed, never
 * content.
 */
#include "map_be.h"
#include "log.h"

#include <db.h>
#include <string.h>

/* hash_open - DB_HASH on path with a cache of cache bytes */
static void *
hash_open(const char *path, size_t cache, bool create)
{
	DB *db;
	int rc;

	if ((rc = db_create(&db, NULL, 0)) != 0) {
		log_warn("%s: db_create: %s", path, db_strerror(rc));
		return NULL;
	}
	db->set_cachesize(db, 0, (u_int32_t)cache, 1);
	rc = db->open(db, NULL, path, NULL, DB_HASH,
	    create ? DB_CREATE | DB_EXCL : 0, 0644);
	if (rc != 0) {
		log_warn("%s: open: %s", path, db_strerror(rc));
		db->close(db, 0);
		return NULL;
	}
	return db;
}

/* hash_dbt - s and its NUL as a DBT */
static void
hash_dbt(DBT *d, const char *s)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)s;
	d->size = (u_int32_t)strlen(s) + 1;
}

static int
hash_put(void *h, const char *path, const char *key, const char *value)
{
	DB *db = h;
	DBT k, v;
	int rc;

	hash_dbt(&k, key);
	hash_dbt(&v, value);
	if ((rc = db->put(db, NULL, &k, &v, 0)) != 0)
		log_warn("%s: put \"%s\": %s", path, key, db_strerror(rc));
	return rc;
}

static int
hash_del(void *h, const char *path, const char *key)
{
	DB *db = h;
	DBT k;
	int rc;

	hash_dbt(&k, key);
	rc = db->del(db, NULL, &k, 0);
	if (rc == DB_NOTFOUND)
		return 0;
	if (rc != 0)
		log_warn("%s: del \"%s\": %s", path, key, db_strerror(rc));
	return rc;
}

static int
hash_close(void *h, const char *path, bool failed)
{
	DB *db = h;
	int rc, bad = failed;

	if (!failed && (rc = db->sync(db, 0)) != 0) {
		log_warn("%s: sync: %s", path, db_strerror(rc));
		bad = 1;
	}
	/* the sync above wrote and fsynced every page: no second flush */
	if ((rc = db->close(db, DB_NOSYNC)) != 0 && !bad) {
		log_warn("%s: close: %s", path, db_strerror(rc));
		bad = 1;
	}
	return bad ? -1 : 0;
}

/*
 * hash_order_mask - the low bucket mask libdb's hash will have at about n
 * records.  libdb grows the table by splitting (h_ffactor unset); measured,
 * about 57 records of ~120 bytes share a bucket at 1M.  n/64 rounded up to
 * a power of two is close enough: a mask a little off still sweeps the file
 * in a few interleaved passes.
 */
static uint32_t
hash_order_mask(size_t n)
{
	uint32_t b = 1;

	while (b < n / 64 && b < (1u << 30))
		b <<= 1;
	return b - 1;
}

/* hash_order - libdb 5.3's default __ham_func5 (FNV-1), key and its NUL */
static uint32_t
hash_order(const char *key, uint32_t mask)
{
	const uint8_t *k;
	uint32_t h = 0;

	for (k = (const uint8_t *)key;; k++) {
		h *= 16777619;
		h ^= *k;
		if (*k == '\0')
			break;
	}
	return h & mask;
}

const struct map_backend map_hash_backend = {
    .type = "hash",
    .suffix = ".db",
    .open = hash_open,
    .put = hash_put,
    .del = hash_del,
    .close = hash_close,
    .order_mask = hash_order_mask,
    .order = hash_order,
};
