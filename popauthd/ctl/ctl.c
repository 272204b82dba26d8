/*
 * ctl.c - the control socket: listen, accept, read a request, write the reply
 * (see ctl.h for the protocol).  The commands themselves are in ctl_cmd.c.
 *
 * For main.c.  Everything is nonblocking and driven by event_add_fd().  A
 * whole request must arrive within CTL_TIMEOUT seconds of the accept (an
 * exact timer, never moved by a byte: a client that trickles a byte every
 * few seconds is closed like a silent one); a request over CTL_REQ_MAX is
 * refused.  When all CTL_CLIENTS_MAX slots are taken, a new client closes the
 * oldest one still sending its request, so a local flood of slow clients
 * cannot lock the admin out (counted: status control.evicted).  A reply is
 * dropped CTL_TIMEOUT seconds after the client last took some of it.  The
 * socket is created with mode 0660 (umask around bind, so there is no window
 * with wider rights) and given control_group.  Errors at start are logged and
 * refuse the start; at run time a failed accept or I/O only drops the client.
 */
#include "ctl.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "timer.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_ARGS_MAX 16
#define CTL_WARN_MS  60000 /* at most one "slots busy" warning a minute */

struct conn {
	int fd;        /* -1: free slot */
	bool replying; /* the request is complete, the reply being written */
	unsigned int uid;
	unsigned long long seq; /* accept order: the lowest is the oldest */
	char *in;
	size_t inlen, incap;
	struct ctl_reply out;
	size_t outoff;
	struct timer timeout;
};

static struct conn conns[CTL_CLIENTS_MAX];
static int listen_fd = -1;
static char *sock_path;
static ctl_handler_fn *handler_fn;
static bool opened;
static struct ctl_stats cstats;
static long long busy_warned_ms = -CTL_WARN_MS;

const struct ctl_stats *
ctl_stats(void)
{
	size_t i;

	cstats.clients = 0;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (conns[i].fd >= 0)
			cstats.clients++;
	return &cstats;
}

int
ctl_say(char *msg, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return code;
}

void
ctl_reply_line(void *reply, const char *line)
{
	struct ctl_reply *r = reply;
	size_t n = strlen(line);

	if (r->len + n + 2 > r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4096;
		while (r->cap < r->len + n + 2)
			r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, line, n);
	r->len += n;
	r->buf[r->len++] = '\n';
	r->buf[r->len] = '\0';
}

static void
conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	event_del_fd(c->fd);
	close(c->fd);
	timer_cancel(&c->timeout);
	free(c->in);
	free(c->out.buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void
conn_timeout(struct timer *t)
{
	struct conn *c =
	    (struct conn *)((char *)t - offsetof(struct conn, timeout));

	cstats.timeouts++;
	if (c->replying)
		log_debug("control: uid %u: reply not taken for %d s, closed",
		    c->uid, CTL_TIMEOUT);
	else
		log_debug("control: uid %u: no whole request %d s after "
		          "connecting, closed",
		    c->uid, CTL_TIMEOUT);
	conn_close(c);
}

static void
conn_write(void *arg, int fd)
{
	struct conn *c = arg;
	bool wrote = false;

	while (c->outoff < c->out.len) {
		ssize_t n = send(fd, c->out.buf + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a reply may be long (export): time the reader's
			 * pauses, not the whole transfer */
			if (wrote)
				timer_set(&c->timeout,
				    clock_now() + CTL_TIMEOUT, conn_timeout);
			return;
		}
		if (n <= 0) {
			log_debug("control: uid %u: write: %s", c->uid,
			    strerror(errno));
			conn_close(c);
			return;
		}
		c->outoff += (size_t)n;
		wrote = true;
	}
	conn_close(c);
}

/* reply_status - the status line after the records */
static void
reply_status(struct ctl_reply *r, int code, const char *msg)
{
	char line[1200], esc[1024];

	log_escape(esc, sizeof(esc), msg, strlen(msg));
	if (code == 0)
		snprintf(
		    line, sizeof(line), "OK%s%s", *esc != '\0' ? " " : "", esc);
	else
		snprintf(line, sizeof(line), "ERR %d %s", code, esc);
	ctl_reply_line(r, line);
}

int
ctl_request(struct ctl_reply *r, char *req, size_t len, unsigned int uid)
{
	char *argv[CTL_ARGS_MAX], *p, *data, msg[1024];
	size_t argc = 0;
	int code;

	req[len] = '\0';
	if (memchr(req, '\0', len) != NULL) {
		reply_status(r, CTL_EX_USAGE, "NUL byte in request");
		return CTL_EX_USAGE;
	}
	data = strchr(req, '\n');
	if (data != NULL)
		*data++ = '\0';
	else
		data = req + len;
	for (p = req; argc < CTL_ARGS_MAX;) {
		char *tab = strchr(p, '\t');

		argv[argc++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (argc == CTL_ARGS_MAX) {
		reply_status(r, CTL_EX_USAGE, "too many arguments");
		return CTL_EX_USAGE;
	}
	msg[0] = '\0';
	code = handler_fn != NULL
	    ? handler_fn(r, argv, argc, data, uid, msg, sizeof(msg))
	    : CTL_EX_SOFTWARE;
	reply_status(r, code, msg);
	return code;
}

/* conn_reply - the reply in c->out is complete: start writing it */
static void
conn_reply(struct conn *c)
{
	c->replying = true;
	event_del_fd(c->fd);
	shutdown(c->fd, SHUT_RD);
	if (event_add_fd(c->fd, true, conn_write, c) < 0) {
		conn_close(c);
		return;
	}
	timer_set(&c->timeout, clock_now() + CTL_TIMEOUT, conn_timeout);
}

/* conn_run - run the request c has read, then answer */
static void
conn_run(struct conn *c)
{
	ctl_request(&c->out, c->in, c->inlen, c->uid);
	conn_reply(c);
}

/* conn_ready - true when the request is complete without waiting for EOF */
static bool
conn_ready(const struct conn *c)
{
	const char *nl = memchr(c->in, '\n', c->inlen);

	/* only import carries data after the first line */
	return nl != NULL &&
	    !((size_t)(nl - c->in) >= 6 && strncmp(c->in, "import", 6) == 0 &&
	        (nl - c->in == 6 || c->in[6] == '\t' || c->in[6] == '\r'));
}

static void
conn_read(void *arg, int fd)
{
	struct conn *c = arg;
	ssize_t n;

	for (;;) {
		if (c->inlen == c->incap) {
			if (c->incap >= CTL_REQ_MAX) {
				reply_status(
				    &c->out, CTL_EX_USAGE, "request too large");
				conn_reply(c);
				return;
			}
			c->incap = c->incap ? c->incap * 2 : 4096;
			if (c->incap > CTL_REQ_MAX)
				c->incap = CTL_REQ_MAX;
			c->in = xrealloc(c->in, c->incap + 1);
		}
		n = recv(fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* no new deadline: the one from the accept stands */
			if (conn_ready(c))
				conn_run(c);
			return;
		}
		if (n < 0) {
			conn_close(c);
			return;
		}
		if (n == 0) {
			if (c->inlen == 0) {
				conn_close(c);
				return;
			}
			conn_run(c);
			return;
		}
		c->inlen += (size_t)n;
	}
}

/* busy_warn - say that the slots are full, at most once a minute */
static void
busy_warn(const char *what, unsigned int uid)
{
	long long now = mono_ms();

	if (now - busy_warned_ms < CTL_WARN_MS)
		return;
	busy_warned_ms = now;
	log_warn("%s: all %d control slots busy: %s (uid %u); so far %llu "
	         "evicted, %llu refused",
	    sock_path, CTL_CLIENTS_MAX, what, uid, cstats.evicted,
	    cstats.refused);
}

/*
 * conn_slot - a free slot for a new client; when every slot is taken, the
 * oldest client still sending its request is closed to make room (a slow
 * one holds nothing for long, and a flood cannot keep the admin out).
 * NULL when every client is being answered.
 */
static struct conn *
conn_slot(void)
{
	struct conn *old = NULL;
	unsigned int uid;
	size_t i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		if (conns[i].fd < 0)
			return &conns[i];
		if (!conns[i].replying &&
		    (old == NULL || conns[i].seq < old->seq))
			old = &conns[i];
	}
	if (old == NULL)
		return NULL;
	uid = old->uid;
	cstats.evicted++;
	conn_close(old);
	busy_warn("the oldest unfinished request closed for a new client", uid);
	return old;
}

static void
ctl_accept(void *arg, int fd)
{
	UNUSED(arg);
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		unsigned int uid = (unsigned int)-1;
		struct conn *c;

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("%s: accept: %s", sock_path,
				    strerror(errno));
			return;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			uid = (unsigned int)cred.uid;
		cstats.accepted++;
		if ((c = conn_slot()) == NULL ||
		    event_add_fd(cfd, false, conn_read, c) < 0) {
			cstats.refused++;
			busy_warn(
			    "every client is being answered; one refused", uid);
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->uid = uid;
		c->seq = cstats.accepted;
		c->replying = false;
		/* the whole request is due by then, however it trickles in */
		timer_set(&c->timeout, clock_now() + CTL_TIMEOUT, conn_timeout);
		/* popauthctl sends at once: answer before the next accept can
		 * evict it */
		conn_read(c, cfd);
	}
}

int
ctl_open(const struct conf *cf, ctl_handler_fn *handler)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	gid_t gid = (gid_t)-1;
	size_t i;
	int fd;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		conns[i].fd = -1;
	opened = true;
	handler_fn = handler;
	if (cf->control_socket[0] == '\0')
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cf->control_socket) >= sizeof(sun.sun_path)) {
		log_error(
		    "%s: control_socket path too long", cf->control_socket);
		return -1;
	}
	memcpy(
	    sun.sun_path, cf->control_socket, strlen(cf->control_socket) + 1);
	if (cf->control_group[0] != '\0') {
		struct group *gr = getgrnam(cf->control_group);

		if (gr == NULL) {
			log_error("control_group = %s: no such group",
			    cf->control_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (lstat(sun.sun_path, &st) == 0) {
		/* the pid file lock says no other popauthd owns it */
		if (!S_ISSOCK(st.st_mode)) {
			log_error("%s: exists and is not a socket; not removed",
			    sun.sun_path);
			return -1;
		}
		unlink(sun.sun_path);
	}
	if (mkdir_parent(sun.sun_path) < 0) {
		log_error("%s: cannot create its directory: %s", sun.sun_path,
		    strerror(errno));
		return -1;
	}
	if ((fd = socket(
	         AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		log_error("control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		umask(old);
		log_error("%s: cannot create control socket: %s", sun.sun_path,
		    strerror(e));
		close(fd);
		return -1;
	}
	umask(old);
	if ((gid != (gid_t)-1 && chown(sun.sun_path, (uid_t)-1, gid) < 0) ||
	    chmod(sun.sun_path, 0660) < 0 || listen(fd, CTL_CLIENTS_MAX) < 0 ||
	    event_add_fd(fd, false, ctl_accept, NULL) < 0) {
		log_error("%s: cannot set up control socket: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		unlink(sun.sun_path);
		return -1;
	}
	listen_fd = fd;
	sock_path = xstrdup(sun.sun_path);
	return 0;
}

void
ctl_close(void)
{
	size_t i;

	if (!opened)
		return;
	opened = false;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		conn_close(&conns[i]);
	if (listen_fd >= 0) {
		event_del_fd(listen_fd);
		close(listen_fd);
		unlink(sock_path);
	}
	listen_fd = -1;
	free(sock_path);
	sock_path = NULL;
}
