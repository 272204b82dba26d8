/*
 * ctl_client.h - popauthctl's side of the control socket.
 *
 * For popauthctl.c.  Every function that meets an error it cannot return
 * (no socket, a broken answer) prints "popauthctl: ..." and exits with the
 * sysexits code popauthctl(8) documents.
 */
#ifndef POPAUTHD_CTL_CLIENT_H
#define POPAUTHD_CTL_CLIENT_H

#include "conf.h"
#include "ctl.h"
#include "ctl_print.h"

#include <stddef.h>

/* ctl_client_init - the config whose control_socket the calls use (borrowed) */
void ctl_client_init(const struct conf *c);
/* ctl_lines_add - append a copy of line (arg: struct ctl_lines *) */
void ctl_lines_add(void *arg, const char *line);
/* ctl_lines_free - free every line and reset l */
void ctl_lines_free(struct ctl_lines *l);
/* ctl_die - print "popauthctl: MSG" and exit with code */
int ctl_die(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
/* ctl_client_connect - a connection to the daemon, or -1 with *code set
 * (CTL_EX_UNAVAILABLE or CTL_EX_NOPERM) and errno */
int ctl_client_connect(int *code);
/* ctl_client_no_daemon - exit with the message for a daemon that does not
 * answer (code from ctl_client_connect) when cmd needs it */
void ctl_client_no_daemon(int code, const char *cmd) __attribute__((noreturn));
/*
 * ctl_client_request - send argv (tab-joined) and data on fd (closed after);
 * answer lines go into out; returns the daemon's code (0 = OK), its text in
 * msg
 */
int ctl_client_request(int fd, char **argv, size_t argc, const char *data,
    size_t datalen, struct ctl_lines *out, char *msg, size_t msgsize);

#endif
