/*
 * fuzz_whitelist.c - libFuzzer target: any bytes as whitelist_file, then a
 * lookup; bad lines are refused whole, never half-loaded.
 */
#include "addr.h"
#include "log.h"
#include "whitelist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_wl.XXXXXX";
	int fd = mkstemp(path);
	struct whitelist *wl;
	struct addr a;

	log_open(NULL, false, false);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	wl = whitelist_load(path);
	if (wl != NULL && addr_parse("192.0.2.1", 9, &a) == 0)
		(void)whitelist_match(wl, &a);
	whitelist_free(wl);
	unlink(path);
	return 0;
}
