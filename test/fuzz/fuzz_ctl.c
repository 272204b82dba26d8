/*
 * fuzz_ctl.c - libFuzzer target: any bytes as control-socket requests, run
 * by ctl_request() (the daemon's own splitting, then ctl_cmd.c) against a
 * started engine (fuzz_daemon.h).  A NUL byte separates requests, so one
 * input can grant, ban, import and then list, show or export what it made
 * (a NUL inside a request is refused anyway).  Every reply must end with
 * one "OK" or "ERR CODE" line; nothing may crash, leak or abort.
 */
#include "fuzz_daemon.h"
#include "clock.h"
#include "ctl.h"
#include "ctl_cmd.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_reply - r ends with the status line for code and holds no NUL */
static void
check_reply(const struct ctl_reply *r, int code)
{
	const char *last;

	if (r->len == 0 || r->buf[r->len - 1] != '\n')
		abort();
	for (last = r->buf + r->len - 1; last > r->buf && last[-1] != '\n';
	     last--)
		;
	if (code == 0 ? strncmp(last, "OK", 2) != 0
	              : strncmp(last, "ERR ", 4) != 0)
		abort();
	if (memchr(r->buf, '\0', r->len) != NULL)
		abort();
}

/* no_reload - "reload" would compile every rule again: too slow here */
static int
no_reload(void)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool opened;
	char *buf = malloc(size + 1);
	size_t start, i;

	if (!opened) {
		fuzz_daemon_start();
		/* no socket (control_socket is empty): the slots and the
		 * reload hook, as the daemon has them */
		ctl_cmd_init(no_reload);
		if (ctl_open(engine_conf(), ctl_cmd_run) < 0)
			abort();
		opened = true;
	}
	/* the daemon's clock under replay; a live one would be now */
	clock_advance(1700000000);
	memcpy(buf, data, size);
	for (start = 0, i = 0; i <= size; i++) {
		struct ctl_reply r = {NULL, 0, 0};
		char *req;
		size_t len = i - start;

		if (i < size && buf[i] != '\0')
			continue;
		start = i + 1;
		if (len == 0)
			continue; /* the daemon closes an empty connection */
		/* as the socket delivers it: its own buffer, one spare byte */
		req = malloc(len + 1);
		memcpy(req, buf + i - len, len);
		check_reply(&r, ctl_request(&r, req, len, 0));
		free(req);
		free(r.buf);
	}
	free(buf);
	fuzz_daemon_reset();
	return 0;
}
