/*
 * wbehind.c - write-behind thread (see wbehind.h).
 *
 * A ring of WB_SLOTS writes under one mutex: the writers fill it, the
 * thread empties it in order.  Ticket n is the n-th write queued; done
 * counts the writes finished.  A failed write is remembered per fd (the
 * first one) until that fd's drain reports it.
 */
#include "wbehind.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define WB_SLOTS 8
#define WB_FAILS 8

struct wb_item {
	int fd;
	void *p;
	size_t len;
	uint64_t off;
	wb_seal_fn *seal;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t t;
	bool running, stopping;
	struct wb_item q[WB_SLOTS];
	unsigned long given, done;
	struct {
		int fd, err;
		uint64_t off;
	} fail[WB_FAILS];
	size_t nfail;
} wb = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
};

int
wb_write_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = off == WB_APPEND ? write(fd, p, n)
		                             : pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		if (off != WB_APPEND)
			off += (uint64_t)w;
	}
	return 0;
}

/* note_fail - remember the first failure on it->fd (under the mutex) */
static void
note_fail(const struct wb_item *it, int err)
{
	size_t i;

	for (i = 0; i < wb.nfail; i++)
		if (wb.fail[i].fd == it->fd)
			return;
	if (wb.nfail == WB_FAILS)
		return; /* eight fds failing: the first eight say it */
	wb.fail[wb.nfail].fd = it->fd;
	wb.fail[wb.nfail].err = err;
	wb.fail[wb.nfail].off = it->off;
	wb.nfail++;
}

static void *
writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wb.mu);
	for (;;) {
		struct wb_item it;
		int rc, err;

		while (wb.done == wb.given && !wb.stopping)
			pthread_cond_wait(&wb.cv, &wb.mu);
		if (wb.done == wb.given)
			break;
		it = wb.q[wb.done % WB_SLOTS];
		pthread_mutex_unlock(&wb.mu);
		if (it.seal != NULL)
			it.seal(it.p, it.len);
		rc = wb_write_all(it.fd, it.p, it.len, it.off);
		err = errno;
		pthread_mutex_lock(&wb.mu);
		if (rc < 0)
			note_fail(&it, err);
		wb.done++;
		pthread_cond_broadcast(&wb.cv);
	}
	pthread_mutex_unlock(&wb.mu);
	return NULL;
}

/* forked - a child has no writer thread: its writers write at once */
static void
forked(void)
{
	static const pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static const pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

	wb.mu = mu;
	wb.cv = cv;
	wb.running = false;
	wb.given = wb.done = 0;
	wb.nfail = 0;
}

void
wb_start(void)
{
	static bool hooked;

	pthread_mutex_lock(&wb.mu);
	if (!hooked && pthread_atfork(NULL, NULL, forked) == 0)
		hooked = true;
	if (!wb.running && hooked) {
		wb.stopping = false;
		if (pthread_create(&wb.t, NULL, writer, NULL) == 0) {
			pthread_setname_np(wb.t, "popauthd-write");
			wb.running = true;
		}
	}
	pthread_mutex_unlock(&wb.mu);
}

void
wb_stop(void)
{
	pthread_mutex_lock(&wb.mu);
	if (!wb.running) {
		pthread_mutex_unlock(&wb.mu);
		return;
	}
	wb.stopping = true;
	pthread_cond_broadcast(&wb.cv);
	pthread_mutex_unlock(&wb.mu);
	pthread_join(wb.t, NULL);
	pthread_mutex_lock(&wb.mu);
	wb.running = false;
	pthread_mutex_unlock(&wb.mu);
}

bool
wb_running(void)
{
	bool r;

	pthread_mutex_lock(&wb.mu);
	r = wb.running;
	pthread_mutex_unlock(&wb.mu);
	return r;
}

unsigned long
wb_write(int fd, void *p, size_t len, uint64_t off, wb_seal_fn *seal)
{
	unsigned long ticket;

	pthread_mutex_lock(&wb.mu);
	while (wb.given - wb.done == WB_SLOTS)
		pthread_cond_wait(&wb.cv, &wb.mu);
	wb.q[wb.given % WB_SLOTS] = (struct wb_item){fd, p, len, off, seal};
	ticket = ++wb.given;
	pthread_cond_broadcast(&wb.cv);
	pthread_mutex_unlock(&wb.mu);
	return ticket;
}

void
wb_wait(unsigned long ticket)
{
	pthread_mutex_lock(&wb.mu);
	/* after wb_stop (or in a child) everything queued is done or gone */
	while (wb.running && (long)(ticket - wb.done) > 0)
		pthread_cond_wait(&wb.cv, &wb.mu);
	pthread_mutex_unlock(&wb.mu);
}

int
wb_drain(int fd, uint64_t *failed_off)
{
	size_t i;
	int err = 0;

	pthread_mutex_lock(&wb.mu);
	while (wb.running && wb.done != wb.given)
		pthread_cond_wait(&wb.cv, &wb.mu);
	for (i = 0; i < wb.nfail; i++) {
		if (wb.fail[i].fd != fd)
			continue;
		err = wb.fail[i].err;
		if (failed_off != NULL)
			*failed_off = wb.fail[i].off;
		wb.fail[i] = wb.fail[--wb.nfail];
		break;
	}
	pthread_mutex_unlock(&wb.mu);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}
