/*
 * event.c - the pselect loop (see event.h).
 *
 * Each turn: signals first (SIGHUP reloads, SIGUSR1 asks for a status line,
 * SIGTERM/SIGINT end), the turn hook (due timers, the tick's commit and
 * maps), the periodic hook every 10 s, then sleep until the earliest of the
 * hook's timeout and any event_wake_ms, and call back the owners of the
 * descriptors that are ready (none: the idle hook).  An owner reads a
 * bounded amount per call, so timers stay on time under a flood.
 */
#include "event.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>

#define EVENT_PERIODIC_MS 10000

#define EVENT_MAX_FDS 64

struct watch {
	int fd;
	bool write;
	event_fd_fn *fn;
	void *arg;
};

static struct watch watches[EVENT_MAX_FDS];
static size_t nwatches;
static long long wake_ms = -1;
static volatile sig_atomic_t got_term, got_hup, got_usr1, got_chld;
static sigset_t waitmask;

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		got_term = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	default:
		break;
	}
}

int
event_add_fd(int fd, bool write, event_fd_fn *fn, void *arg)
{
	if (fd < 0 || fd >= FD_SETSIZE || nwatches == EVENT_MAX_FDS)
		return -1;
	event_del_fd(fd);
	watches[nwatches].fd = fd;
	watches[nwatches].write = write;
	watches[nwatches].fn = fn;
	watches[nwatches].arg = arg;
	nwatches++;
	return 0;
}

void
event_del_fd(int fd)
{
	size_t i;

	for (i = 0; i < nwatches; i++) {
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
	}
}

void
event_wake_ms(long long ms)
{
	if (ms < 0)
		ms = 0;
	if (wake_ms < 0 || ms < wake_ms)
		wake_ms = ms;
}

bool
event_sigchld(void)
{
	if (!got_chld)
		return false;
	got_chld = 0;
	return true;
}

void
event_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD};
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < NITEMS(sigs); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (i = 0; i < NITEMS(sigs); i++)
		sigdelset(&waitmask, sigs[i]);
}

int
event_loop(const struct event_hooks *h)
{
	long long next_periodic = mono_ms() + EVENT_PERIODIC_MS;

	for (;;) {
		struct timespec ts;
		long long ms;
		fd_set rfds, wfds;
		size_t i;
		int n, maxfd = -1;

		if (got_term)
			break;
		if (got_hup) {
			got_hup = 0;
			if (h->reload != NULL && h->reload(h->arg) < 0)
				log_warn("reload failed; keeping the running "
				         "configuration");
		}
		if (got_usr1) {
			got_usr1 = 0;
			if (h->status != NULL)
				h->status(h->arg);
		}
		if (h->turn != NULL)
			h->turn(h->arg);
		if (mono_ms() >= next_periodic) {
			if (h->periodic != NULL)
				h->periodic(h->arg);
			next_periodic = mono_ms() + EVENT_PERIODIC_MS;
		}
		ms = h->timeout_ms != NULL ? h->timeout_ms(h->arg) : -1;
		if (ms < 0 || ms > EVENT_PERIODIC_MS)
			ms = EVENT_PERIODIC_MS;
		if (wake_ms >= 0 && wake_ms < ms)
			ms = wake_ms;
		wake_ms = -1;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		for (i = 0; i < nwatches; i++) {
			FD_SET(watches[i].fd, watches[i].write ? &wfds : &rfds);
			if (watches[i].fd > maxfd)
				maxfd = watches[i].fd;
		}
		n = pselect(maxfd + 1, &rfds, &wfds, NULL, &ts, &waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("select: %s", strerror(errno));
			continue;
		}
		if (n == 0 && h->idle != NULL)
			h->idle(h->arg);
		/* a callback may add or remove watches: walk a copy */
		{
			struct watch ready[EVENT_MAX_FDS];
			size_t nready = 0;

			for (i = 0; n > 0 && i < nwatches; i++)
				if (FD_ISSET(watches[i].fd,
				        watches[i].write ? &wfds : &rfds))
					ready[nready++] = watches[i];
			for (i = 0; i < nready; i++)
				ready[i].fn(ready[i].arg, ready[i].fd);
		}
	}
	log_info("popauthd is terminating");
	return 0;
}
