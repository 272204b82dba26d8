/*
 * fuzz_import - libFuzzer target: any bytes as a popauthctl import (the
 * export TSV a backup holds, or its JSON form) and as a popauth 3 rbl_cache
 * file.  Records are parsed, unescaped and escaped again; nothing may crash,
 * leak or hand a raw control byte to the state.  JSON records read are
 * written and read again: the second reading must give the same records as
 * the first rewrite (one normalisation, then a fixpoint).
 */
#include "ctl_json.h"
#include "ctl_legacy.h"
#include "export.h"
#include "log.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
no_grant(void *arg, const struct grant_info *gi)
{
	(void)arg;
	(void)gi;
}

static void
no_bl(void *arg, const struct bl_info *bi)
{
	(void)arg;
	(void)bi;
}

static void
no_fish(void *arg, const struct fish_info *fi)
{
	(void)arg;
	(void)fi;
}

static void
no_line(void *arg, const char *line)
{
	(void)arg;
	if (strchr(line, '\n') != NULL)
		abort();	/* a record line never holds a newline */
}

struct recs {
	char **v;
	size_t n;
};

static void
add_rec(void *arg, const char *line)
{
	struct recs *r = arg;

	if (strchr(line, '\n') != NULL)
		abort();	/* a record line never holds a newline */
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n++] = xstrdup(line);
}

static void
recs_free(struct recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* json_pass - records r as JSON (export form), read back into out; rc */
static int
json_pass(const struct recs *r, struct recs *out)
{
	char *json = NULL, err[512];
	size_t len = 0;
	FILE *fp = open_memstream(&json, &len);
	int rc;

	if (fp == NULL)
		abort();
	ctl_json_write(fp, r->v, r->n, "", true);
	fclose(fp);
	rc = ctl_json_records(json, len, add_rec, out, err, sizeof(err));
	free(json);
	return rc;
}

/* fuzz_json - data as a JSON export: every record through import_line */
static void
fuzz_json(const uint8_t *data, size_t size, const struct import_ops *ops)
{
	struct recs r1 = { NULL, 0 }, r2 = { NULL, 0 }, r3 = { NULL, 0 };
	struct import *im;
	char err[512];
	size_t i;

	if (ctl_json_records((const char *)data, size, add_rec, &r1, err,
	    sizeof(err)) < 0) {
		recs_free(&r1);
		return;
	}
	im = import_new(ops);
	for (i = 0; i < r1.n; i++) {
		char *copy = xstrdup(r1.v[i]);

		import_line(im, copy, err, sizeof(err));
		free(copy);
	}
	import_end(im, err, sizeof(err));
	import_free(im);
	if (json_pass(&r1, &r2) < 0 || json_pass(&r2, &r3) < 0)
		abort();	/* what we wrote must read back */
	if (r2.n != r1.n || r3.n != r2.n)
		abort();
	for (i = 0; i < r2.n; i++)
		if (strcmp(r2.v[i], r3.v[i]) != 0)
			abort();
	recs_free(&r1);
	recs_free(&r2);
	recs_free(&r3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_ops ops = { no_grant, no_bl, no_fish, NULL };
	struct import *im;
	char err[512], path[] = "/tmp/fuzz_import.XXXXXX";
	char *buf = malloc(size + 1), *line, *save = NULL;
	int fd;

	log_open(NULL, false, false);
	memcpy(buf, data, size);
	buf[size] = '\0';
	im = import_new(&ops);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (import_line(im, line, err, sizeof(err)) < 0)
			break;
	import_end(im, err, sizeof(err));
	import_free(im);
	free(buf);
	fuzz_json(data, size, &ops);
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	ctl_legacy_records("rbl_cache", path, no_line, NULL, err, sizeof(err));
	unlink(path);
	return 0;
}
