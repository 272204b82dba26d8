/*
 * fuzz_engine.c - libFuzzer target: any bytes as a mail log through the
 * whole hot path, as popauthd --replay reads a file: fifo.c framing ->
 * logline -> rules -> the trackers (grant, blacklist, fishing, sendmail,
 * greytrap, two-line logins) -> the end-of-tick state commit; then the
 * timers.  The engine lives across inputs (fuzz_daemon.h); its tables are
 * emptied after each one.  Nothing may crash, leak or abort.
 */
#include "fuzz_daemon.h"
#include "fifo.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
line(void *arg, char *l, size_t len)
{
	(void)arg;
	engine_line(l, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fifo *in;
	int fd;

	fuzz_daemon_start();
	if ((fd = memfd_create("fuzz_engine", MFD_CLOEXEC)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	in = fifo_open_fd(fd, "fuzz");
	while (fifo_read(in, 4 << 20, line, NULL) > 0)
		engine_tick();
	fifo_finish(in, line, NULL);
	fifo_close(in); /* leaves a descriptor it did not open alone */
	close(fd);
	engine_run_timers();
	engine_tick();
	fuzz_daemon_reset();
	return 0;
}
