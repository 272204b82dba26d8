/*
 * fifowrite.c - push a log file into popauthd's FIFO as fast as the pipe takes
 * it, then wait until the daemon has read every line; for bench/run's live
 * FIFO row.
 *
 *   fifowrite -f FIFO -i FILE [-1] [-b BYTES] [-P PIPE_SIZE] [-r LINES_PER_S]
 *             [-d PID -l LOG_FILE -e LINES] [-w TIMEOUT_S]
 *
 * Writes FILE into FIFO with write(2) calls of BYTES (default 1 MiB; a write
 * bigger than the pipe blocks until the reader drains it, so the writer is
 * never the bottleneck).  -P sets the pipe's capacity with F_SETPIPE_SZ
 * (default: leave the kernel's 64 KiB, what rsyslog gets).  -r paces the
 * writer instead: whole lines, LINES_PER_S a second in batches every 10 ms
 * (background load for the latency rows; SIGTERM ends it).  -1 writes one
 * line per write(2), as a syslog daemon does, as fast as it can.  FIFO may
 * also be a regular file (input = file): it is appended to (O_APPEND).
 * With -d/-l/-e it
 * then sends SIGUSR1 to PID every 2 ms and reads the new part of LOG_FILE for
 * popauthd's status line ("status: N lines read, M matched, ..." or, since
 * popauthctl, "status: ..., lines=N, matched=M, ..."), until N reaches LINES.  Output, one line:
 *   bytes=... write_s=... drained_s=... lines_read=... matched=...
 * drained_s is from the first write to the status line that shows every line
 * read (within ~2 ms); lines_read < LINES after TIMEOUT_S (default 120) means
 * lines were lost.  Exit: 0, 1 when lines are missing, 64 usage, 74 I/O.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: fifowrite -f FIFO -i FILE [-1] [-b BYTES] "
			"[-P PIPE_SIZE] [-r LINES_PER_S] [-d PID -l LOG -e LINES] "
			"[-w TIMEOUT_S]\n");
	exit(64);
}

static long long
num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * parse_status - the counters of one status line: "status: N lines read, M
 * matched, ..." or "status: version=..., lines=N, matched=M, ..."
 */
static bool
parse_status(const char *line, unsigned long long *lines,
    unsigned long long *matched)
{
	const char *p = strstr(line, "status: "), *l, *m;

	if (p == NULL)
		return false;
	if (sscanf(p, "status: %llu lines read, %llu matched", lines,
		matched) == 2)
		return true;
	l = strstr(p, " lines=");
	m = strstr(p, " matched=");
	if (l == NULL || m == NULL)
		return false;
	return sscanf(l, " lines=%llu", lines) == 1 &&
	    sscanf(m, " matched=%llu", matched) == 1;
}

/*
 * scan_status - read what LOG gained since *off; the last status line's
 * numbers into *lines, *matched; true if one was found
 */
static bool
scan_status(int fd, off_t *off, char *carry, size_t *clen, size_t csize,
    unsigned long long *lines, unsigned long long *matched)
{
	char buf[1 << 16];
	bool found = false;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), *off)) > 0) {
		ssize_t i;

		*off += n;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (*clen < csize - 1)
					carry[(*clen)++] = buf[i];
				continue;
			}
			carry[*clen] = '\0';
			if (parse_status(carry, lines, matched))
				found = true;
			*clen = 0;
		}
	}
	return found;
}

/* paced - write whole lines of ifd into fd at rate lines a second */
static int
paced(int ifd, int fd, long long rate)
{
	FILE *in = fdopen(ifd, "r");
	char *line = NULL, *out;
	size_t cap = 0, olen, ocap = 1 << 22;
	long long sent = 0;
	double t0 = now_s();
	ssize_t n = 0;

	if (in == NULL || (out = malloc(ocap)) == NULL)
		return 74;
	for (;;) {
		long long due = (long long)((now_s() - t0) * (double)rate) + 1;
		struct timespec ten_ms = { 0, 10000000 };

		olen = 0;
		while (sent < due && olen + 4096 < ocap &&
		    (n = getline(&line, &cap, in)) > 0) {
			if (olen + (size_t)n > ocap)
				break; /* cannot happen: lines are short */
			memcpy(out + olen, line, (size_t)n);
			olen += (size_t)n;
			sent++;
		}
		if (olen > 0 && write(fd, out, olen) < 0 && errno != EINTR)
			return 74;
		if (n < 0)
			return 0;
		nanosleep(&ten_ms, NULL);
	}
}

int
main(int argc, char **argv)
{
	const char *fifo = NULL, *in = NULL, *logf = NULL;
	long long bsize = 1 << 20, pipesz = 0, expect = -1, timeout = 120;
	long long rate = 0;
	unsigned long long lines = 0, matched = 0;
	pid_t pid = 0;
	char *buf, carry[4096];
	size_t clen = 0;
	off_t off = 0;
	double t0, tw, td = -1;
	long long total = 0;
	unsigned long long lines_out = 0;
	bool per_line = false;
	int ch, fd, ifd, lfd = -1;
	struct stat st;

	while ((ch = getopt(argc, argv, "1f:i:b:P:r:d:l:e:w:")) != -1) {
		switch (ch) {
		case '1':
			per_line = true;
			break;
		case 'f':
			fifo = optarg;
			break;
		case 'i':
			in = optarg;
			break;
		case 'b':
			bsize = num(optarg, 1, 1 << 30);
			break;
		case 'P':
			pipesz = num(optarg, 4096, 1 << 30);
			break;
		case 'r':
			rate = num(optarg, 1, 100000000);
			break;
		case 'd':
			pid = (pid_t)num(optarg, 1, 1 << 30);
			break;
		case 'l':
			logf = optarg;
			break;
		case 'e':
			expect = num(optarg, 0, 1LL << 50);
			break;
		case 'w':
			timeout = num(optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || fifo == NULL || in == NULL ||
	    ((pid != 0) != (logf != NULL) || (pid != 0) != (expect >= 0)))
		usage();
	if ((ifd = open(in, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fd = open(fifo, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		fprintf(stderr, "fifowrite: %s\n", strerror(errno));
		return 74;
	}
	if (logf != NULL) {
		/* start after what the log holds now: older status lines */
		if ((lfd = open(logf, O_RDONLY | O_CLOEXEC)) < 0 ||
		    fstat(lfd, &st) < 0) {
			fprintf(stderr, "fifowrite: %s: %s\n", logf,
			    strerror(errno));
			return 74;
		}
		off = st.st_size;
	}
	if (pipesz > 0 && fcntl(fd, F_SETPIPE_SZ, (int)pipesz) < 0)
		fprintf(stderr, "fifowrite: F_SETPIPE_SZ %lld: %s\n", pipesz,
		    strerror(errno));
	if ((buf = malloc((size_t)bsize)) == NULL)
		return 74;
	t0 = now_s();
	if (rate > 0)
		return paced(ifd, fd, rate);
	for (;;) {
		ssize_t n = read(ifd, buf, (size_t)bsize), w = 0;

		if (n < 0) {
			fprintf(stderr, "fifowrite: %s: %s\n", in,
			    strerror(errno));
			return 74;
		}
		if (n == 0)
			break;
		if (per_line) {
			/* whole lines, one write each; a partial one waits */
			char *nl = memrchr(buf, '\n', (size_t)n);
			ssize_t keep = nl != NULL ? n - (nl + 1 - buf) : 0;

			if (keep > 0 && lseek(ifd, -keep, SEEK_CUR) < 0)
				return 74;
			n -= keep;
		}
		while (w < n) {
			size_t len = (size_t)(n - w);
			ssize_t m;

			if (per_line) {
				char *nl = memchr(buf + w, '\n', len);

				if (nl != NULL)
					len = (size_t)(nl + 1 - (buf + w));
				lines_out++;
			}
			m = write(fd, buf + w, len);

			if (m < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "fifowrite: %s: %s\n", fifo,
				    strerror(errno));
				return 74;
			}
			w += m;
		}
		total += n;
	}
	tw = now_s() - t0;
	if (pid != 0) {
		struct timespec two_ms = { 0, 2000000 };

		while (now_s() - t0 < (double)timeout) {
			if (kill(pid, SIGUSR1) < 0) {
				fprintf(stderr, "fifowrite: kill %ld: %s\n",
				    (long)pid, strerror(errno));
				break;
			}
			nanosleep(&two_ms, NULL);
			if (scan_status(lfd, &off, carry, &clen, sizeof(carry),
				&lines, &matched) &&
			    lines >= (unsigned long long)expect) {
				td = now_s() - t0;
				break;
			}
		}
	}
	printf("bytes=%lld write_s=%.3f drained_s=%.3f lines_read=%llu "
	       "matched=%llu writes=%llu\n",
	    total, tw, td, lines, matched, per_line ? lines_out : 0);
	free(buf);
	close(fd);
	close(ifd);
	if (lfd >= 0)
		close(lfd);
	return pid == 0 || td >= 0 ? 0 : 1;
}
