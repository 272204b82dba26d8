/*
 * fuzz_conf.c - libFuzzer target: any bytes as popauthd.conf; conf_load must
 * return a conf or NULL with a message, never crash or leak.
 */
#include "conf.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_conf.XXXXXX";
	int fd = mkstemp(path);
	struct conf *c;

	log_open(NULL, false, false);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	c = conf_load(path, NULL, 0);
	conf_free(c);
	unlink(path);
	return 0;
}
