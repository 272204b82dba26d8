/*
 * ctl_client.c - popauthctl's side of the control socket (see ctl_client.h).
 *
 * For popauthctl.c: connect to control_socket, send one request (argv
 * tab-joined, a newline, then any data), read the answer lines and the final
 * "OK [text]" or "ERR code text" (protocol in ctl.h), and the messages and
 * exit codes for a daemon that is not there or not ours to talk to.
 * Ownership: the ctl_lines hold copies; ctl_lines_free releases them.
 */
#include "ctl_client.h"
#include "export.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_REPLY_WAIT 120 /* seconds to wait for a reply */

static const struct conf *cf;

void
ctl_client_init(const struct conf *c)
{
	cf = c;
}

void
ctl_lines_add(void *arg, const char *line)
{
	struct ctl_lines *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(line);
}

void
ctl_lines_free(struct ctl_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
ctl_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("popauthctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* ctl_connect - a connection to the daemon, or -1 with *code and errno set */
int
ctl_client_connect(int *code)
{
	struct sockaddr_un sun;
	int fd, e;

	*code = CTL_EX_UNAVAILABLE;
	if (cf->control_socket[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cf->control_socket) >= sizeof(sun.sun_path))
		ctl_die(CTL_EX_CONFIG, "%s: control_socket path too long",
		    cf->control_socket);
	memcpy(
	    sun.sun_path, cf->control_socket, strlen(cf->control_socket) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		ctl_die(CTL_EX_SOFTWARE, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EACCES || e == EPERM)
		*code = CTL_EX_NOPERM;
	errno = e;
	return -1;
}

void
ctl_client_no_daemon(int code, const char *cmd)
{
	if (code == CTL_EX_NOPERM)
		ctl_die(CTL_EX_NOPERM,
		    "%s: permission denied (root or group "
		    "control_group may use it)",
		    cf->control_socket);
	if (cf->control_socket[0] == '\0')
		ctl_die(CTL_EX_UNAVAILABLE,
		    "control_socket is empty in %s: popauthd has no socket; "
		    "%s needs the running daemon",
		    cf->config_file, cmd);
	ctl_die(CTL_EX_UNAVAILABLE,
	    "popauthd is not running (nothing answers on %s); %s needs the "
	    "running daemon",
	    cf->control_socket, cmd);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			ctl_die(CTL_EX_SOFTWARE, "%s: write: %s",
			    cf->control_socket, strerror(errno));
		p += k;
		n -= (size_t)k;
	}
}

int
ctl_client_request(int fd, char **argv, size_t argc, const char *data,
    size_t datalen, struct ctl_lines *out, char *msg, size_t msgsize)
{
	struct timeval tv = {CTL_REPLY_WAIT, 0};
	char esc[1024], *buf = NULL, *p, *last;
	size_t len = 0, cap = 0, i;
	long long code;

	for (i = 0; i < argc; i++) {
		/* a tab or newline in an argument must not split the request */
		export_clean(esc, sizeof(esc), argv[i]);
		if (i > 0)
			write_all(fd, "\t", 1);
		write_all(fd, esc, strlen(esc));
	}
	write_all(fd, "\n", 1);
	if (datalen > 0)
		write_all(fd, data, datalen);
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t k;

		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 65536 * 2;
			buf = xrealloc(buf, cap);
		}
		k = recv(fd, buf + len, cap - len - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			ctl_die(CTL_EX_SOFTWARE, "%s: read: %s",
			    cf->control_socket, strerror(errno));
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	buf = xrealloc(buf, len + 1);
	buf[len] = '\0';
	if (len == 0 || buf[len - 1] != '\n')
		ctl_die(CTL_EX_SOFTWARE,
		    "%s: the daemon closed the connection without "
		    "an answer",
		    cf->control_socket);
	buf[len - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last != NULL ? last + 1 : buf;
	for (p = buf; p < last;) {
		char *nl = strchr(p, '\n');

		*nl = '\0';
		ctl_lines_add(out, p);
		p = nl + 1;
	}
	if (strncmp(last, "OK", 2) == 0 &&
	    (last[2] == '\0' || last[2] == ' ')) {
		snprintf(msg, msgsize, "%s", last[2] != '\0' ? last + 3 : "");
		free(buf);
		return 0;
	}
	if (strncmp(last, "ERR ", 4) != 0)
		ctl_die(CTL_EX_SOFTWARE, "%s: bad answer \"%.60s\"",
		    cf->control_socket, last);
	p = last + 4;
	last = strchr(p, ' ');
	if (last != NULL)
		*last++ = '\0';
	if (parse_long(p, 1, 255, &code) < 0)
		code = CTL_EX_SOFTWARE;
	snprintf(msg, msgsize, "%s", last != NULL ? last : "failed");
	free(buf);
	return (int)code;
}
