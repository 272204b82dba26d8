/*
 * fuzz_import - libFuzzer target: any bytes as a popauthctl import (the
 * export TSV a backup holds) and as a popauth 3 rbl_cache file.  Records are
 * parsed, unescaped and escaped again; nothing may crash, leak or hand a raw
 * control byte to the state.
 */
#include "ctl_legacy.h"
#include "export.h"
#include "log.h"

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
	if ((fd = mkstemp(path)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	ctl_legacy_records("rbl_cache", path, no_line, NULL, err, sizeof(err));
	unlink(path);
	return 0;
}
