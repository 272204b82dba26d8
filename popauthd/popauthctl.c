/*
 * popauthctl.c - the admin's view into popauthd, and its undo button.
 *
 *   popauthctl [-c FILE] [-o name=value]... [--json] [--yes] COMMAND [ARG]...
 *
 * For admins and scripts.  Reads the daemon's config (conf_load, same -c and
 * -o), then talks to the running daemon over control_socket (protocol in
 * ctl.h), so every change reaches the state, the maps and the firewall at
 * once.  With no daemon, read-only commands and import use the state in
 * data_directory directly (ctl_offline.c); changing commands exit 69.
 * Arguments are checked before anything is sent (addr_parse, dur_parse,
 * cidr_parse) and again by the daemon.  Exit codes (sysexits): 0 ok, 1 no
 * such entry, 64 usage, 65 bad import data, 69 daemon not running (also
 * from status, after the summary read from the state), 77 permission
 * denied, 78 config error.
 */
#include "addr.h"
#include "conf.h"
#include "ctl.h"
#include "ctl_client.h"
#include "ctl_json.h"
#include "ctl_legacy.h"
#include "ctl_offline.h"
#include "ctl_print.h"
#include "export.h"
#include "log.h"
#include "util.h"

#include <getopt.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef POPAUTHD_VERSION
#define POPAUTHD_VERSION "0.1.0"
#endif

static const struct conf *cf;
static bool opt_json, opt_yes;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: popauthctl [-c FILE] [-o name=value]... [--json] COMMAND\n"
	    "  status                       counters, entries, bans, last "
	    "error\n"
	    "  list relay|blacklist|fishing|bans\n"
	    "  show IP                      everything known about IP\n"
	    "  explain IP                   the log lines behind IP's records\n"
	    "  grant IP [DURATION]          allow IP to relay\n"
	    "  ban IP [DURATION] [REASON]   list and null-route IP\n"
	    "  revoke IP                    end IP's relay grant now\n"
	    "  unban IP                     lift IP's ban (it stays listed)\n"
	    "  delist IP                    remove IP from the blacklist, "
	    "unban\n"
	    "  whitelist add|del CIDR       edit whitelist_file, reload it\n"
	    "  flush blacklist|bans|all --yes\n"
	    "  reload                       as SIGHUP\n"
	    "  export [--json]              the whole state, TSV or JSON\n"
	    "  import [FILE|-]              an export (TSV or JSON)\n"
	    "  import rbl_cache FILE        popauth 3 rbl_cache\n"
	    "  import authenticated DIR     popauth 3 spool of granted IPs\n"
	    "  import fishers DIR           popauth 3 spool of fishers\n");
	exit(CTL_EX_USAGE);
}

/* Commands. */
/* check_ip - s is an address; client: one a client can have (grant, ban) */
static void
check_ip(const char *s, bool client)
{
	struct addr a;

	if (addr_parse(s, strlen(s), &a) < 0)
		ctl_die(CTL_EX_USAGE, "%s: not an IPv4 or IPv6 address", s);
	if (client && !addr_is_client(&a))
		ctl_die(CTL_EX_USAGE,
		    "%s: not a client address (unspecified, multicast or "
		    "broadcast)",
		    s);
}

static void
check_dur(const char *s)
{
	time_t t;

	if (dur_parse(s, &t) < 0 || t <= 0)
		ctl_die(CTL_EX_USAGE,
		    "%s: bad duration (examples: 90s, 30m, 12h, 7d, 2w)", s);
}

/* cmd_read - status, list, show, export: the daemon, else the state */
static int
cmd_read(char **argv, size_t argc)
{
	struct ctl_lines l = {NULL, 0, 0};
	char msg[1024] = "";
	struct addr a, *ip = NULL;
	const char *what = argc > 1 ? argv[1] : "";
	int fd, code;

	if (strcmp(argv[0], "list") == 0 && argc != 2)
		usage();
	if (strcmp(argv[0], "list") == 0 && strcmp(what, "relay") != 0 &&
	    strcmp(what, "blacklist") != 0 && strcmp(what, "fishing") != 0 &&
	    strcmp(what, "bans") != 0)
		ctl_die(CTL_EX_USAGE,
		    "list what? relay, blacklist, fishing or bans");
	if (strcmp(argv[0], "show") == 0 || strcmp(argv[0], "explain") == 0) {
		if (argc != 2)
			usage();
		check_ip(argv[1], false);
		addr_parse(argv[1], strlen(argv[1]), &a);
		ip = &a;
	} else if (strcmp(argv[0], "list") != 0 && argc != 1) {
		usage();
	}
	if ((fd = ctl_client_connect(&code)) >= 0) {
		code = ctl_client_request(
		    fd, argv, argc, NULL, 0, &l, msg, sizeof(msg));
	} else {
		if (code == CTL_EX_NOPERM)
			ctl_client_no_daemon(code, argv[0]);
		fprintf(stderr,
		    "popauthctl: popauthd is not running (nothing answers on "
		    "%s); "
		    "reading the state in %s\n",
		    cf->control_socket[0] != '\0' ? cf->control_socket
		                                  : "(none)",
		    cf->data_directory);
		code = ctl_offline_read(cf,
		    strcmp(argv[0], "list") == 0 ? what : argv[0], ip,
		    ctl_lines_add, &l, msg, sizeof(msg));
		/* status answers "is it running?" for scripts too */
		if (code == 0 && strcmp(argv[0], "status") == 0) {
			ctl_print(argv[0], what, &l, opt_json, cf);
			code = CTL_EX_UNAVAILABLE;
		}
	}
	if (code == 0 || (code == CTL_EX_NOTFOUND && opt_json))
		ctl_print(argv[0], what, &l, opt_json, cf);
	ctl_lines_free(&l);
	if (msg[0] != '\0')
		fprintf(stderr, "popauthctl: %s\n", msg);
	return code;
}

/* cmd_change - grant, revoke, ban, unban, delist, flush, reload: the daemon only */
static int
cmd_change(char **argv, size_t argc)
{
	static char confirm[] = CTL_FLUSH_CONFIRM;
	struct ctl_lines l = {NULL, 0, 0};
	char msg[1024] = "", reason[512] = "";
	char *args[4];
	size_t nargs = 0, i;
	int fd, code;

	args[nargs++] = argv[0];
	if (strcmp(argv[0], "reload") == 0) {
		if (argc != 1)
			usage();
	} else if (strcmp(argv[0], "flush") == 0) {
		if (argc != 2)
			usage();
		if (strcmp(argv[1], "blacklist") != 0 &&
		    strcmp(argv[1], "bans") != 0 && strcmp(argv[1], "all") != 0)
			ctl_die(
			    CTL_EX_USAGE, "flush what? blacklist, bans or all");
		if (!opt_yes)
			ctl_die(CTL_EX_USAGE,
			    "flush %s removes %s at once; add --yes to do it",
			    argv[1],
			    strcmp(argv[1], "bans") == 0
			        ? "every ban (entries stay "
			          "listed)"
			        : strcmp(argv[1], "blacklist") == 0
			        ? "every blacklist entry and ban"
			        : "every grant, blacklist "
			          "entry, ban and fishing record");
		args[nargs++] = argv[1];
		args[nargs++] = confirm; /* the daemon wants it too */
	} else {
		if (argc < 2)
			usage();
		check_ip(argv[1],
		    strcmp(argv[0], "grant") == 0 ||
		        strcmp(argv[0], "ban") == 0);
		args[nargs++] = argv[1];
		if ((strcmp(argv[0], "unban") == 0 ||
		        strcmp(argv[0], "revoke") == 0 ||
		        strcmp(argv[0], "delist") == 0) &&
		    argc != 2)
			usage();
		if (strcmp(argv[0], "grant") == 0 && argc > 3)
			usage();
		if (argc > 2) {
			check_dur(argv[2]);
			args[nargs++] = argv[2];
		}
		/* ban's reason: the rest of the words */
		for (i = 3; i < argc; i++) {
			size_t n = strlen(reason);

			snprintf(reason + n, sizeof(reason) - n, "%s%s",
			    n > 0 ? " " : "", argv[i]);
		}
		if (argc > 3)
			args[nargs++] = reason;
	}
	if ((fd = ctl_client_connect(&code)) < 0)
		ctl_client_no_daemon(code, argv[0]);
	code =
	    ctl_client_request(fd, args, nargs, NULL, 0, &l, msg, sizeof(msg));
	ctl_lines_free(&l);
	if (msg[0] != '\0')
		fprintf(code == 0 ? stdout : stderr, "%s%s\n",
		    code == 0 ? "" : "popauthctl: ", msg);
	return code;
}

/* same_cidr - line (a whitelist line) names the network c */
static bool
same_cidr(const char *line, const struct cidr *c)
{
	char buf[256];
	struct cidr x;
	size_t n = strcspn(line, "#\r\n");
	char *s = buf, *e;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return cidr_parse(s, &x) == 0 && x.len == c->len &&
	    addr_equal(&x.net, &c->net);
}

/* cmd_whitelist - edit whitelist_file (new file + rename), then reload it */
static int
cmd_whitelist(char **argv, size_t argc)
{
	const char *path = cf->whitelist_file;
	char tmp[4200], *line = NULL, msg[1024] = "";
	struct ctl_lines l = {NULL, 0, 0};
	size_t cap = 0, found = 0;
	struct stat st;
	struct cidr c;
	FILE *in, *out;
	bool add;
	int fd, code;

	if (argc != 3 ||
	    (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "del") != 0))
		usage();
	add = strcmp(argv[1], "add") == 0;
	if (cidr_parse(argv[2], &c) < 0)
		ctl_die(CTL_EX_USAGE,
		    "%s: not an IPv4 or IPv6 address or network "
		    "(bits beyond the prefix must be zero)",
		    argv[2]);
	if (path[0] == '\0')
		ctl_die(CTL_EX_CONFIG, "whitelist_file is not set in %s",
		    cf->config_file);
	snprintf(tmp, sizeof(tmp), "%s.popauthctl.%ld", path, (long)getpid());
	if ((in = fopen(path, "r")) == NULL && errno != ENOENT)
		ctl_die(errno == EACCES ? CTL_EX_NOPERM : CTL_EX_CONFIG,
		    "%s: %s", path, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) <
	        0 ||
	    (out = fdopen(fd, "w")) == NULL)
		ctl_die(errno == EACCES ? CTL_EX_NOPERM : CTL_EX_CONFIG,
		    "%s: %s", tmp, strerror(errno));
	if (in != NULL && fstat(fileno(in), &st) == 0) {
		fchmod(fd, st.st_mode & 07777);
		if (fchown(fd, st.st_uid, st.st_gid) < 0) {
			/* not root: the file becomes ours, which is fine */
		}
	}
	while (in != NULL && getline(&line, &cap, in) >= 0) {
		if (same_cidr(line, &c)) {
			found++;
			if (!add)
				continue;
		}
		fputs(line, out);
		if (line[strlen(line) - 1] != '\n')
			fputc('\n', out);
	}
	free(line);
	if (in != NULL)
		fclose(in);
	if (add && found == 0)
		fprintf(out, "%s\t# added by popauthctl\n", argv[2]);
	if ((add && found > 0) || (!add && found == 0)) {
		fclose(out);
		unlink(tmp);
		if (add) {
			printf("%s: already in %s\n", argv[2], path);
			return 0;
		}
		fprintf(stderr, "popauthctl: %s: not in %s\n", argv[2], path);
		return CTL_EX_NOTFOUND;
	}
	if (fflush(out) != 0 || fsync(fileno(out)) < 0 || fclose(out) != 0 ||
	    rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		ctl_die(e == EACCES ? CTL_EX_NOPERM : CTL_EX_SOFTWARE, "%s: %s",
		    path, strerror(e));
	}
	printf("%s: %s %s\n", path, add ? "added" : "removed", argv[2]);
	if ((fd = ctl_client_connect(&code)) < 0) {
		if (code == CTL_EX_NOPERM)
			ctl_client_no_daemon(code, "whitelist");
		printf("popauthd is not running; it reads %s when it starts\n",
		    path);
		return 0;
	}
	{
		char name[] = "whitelist", *req[1] = {name};

		code = ctl_client_request(
		    fd, req, 1, NULL, 0, &l, msg, sizeof(msg));
	}
	ctl_lines_free(&l);
	fprintf(code == 0 ? stdout : stderr, "%s%s\n",
	    code == 0 ? "" : "popauthctl: ", msg);
	return code;
}

/* read_all - a whole file ("-": stdin) */
static char *
read_all(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = 65536, n = 0, k;
	char *buf;

	if (fp == NULL)
		ctl_die(errno == EACCES ? CTL_EX_NOPERM : CTL_EX_USAGE,
		    "%s: %s", path, strerror(errno));
	buf = xmalloc(cap);
	while ((k = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
		n += k;
		if (n + 1 == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (fp != stdin)
		fclose(fp);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* cmd_import - records from an export or a popauth 3 source */
static int
cmd_import(char **argv, size_t argc)
{
	struct ctl_lines recs = {NULL, 0, 0}, out = {NULL, 0, 0};
	struct import_ops none = {NULL, NULL, NULL, NULL};
	struct import *im;
	char err[512], msg[1024] = "";
	const char *src = argc > 1 ? argv[argc - 1] : "-";
	size_t i;
	int fd, code = 0;

	if (argc == 3) {
		if (ctl_legacy_records(argv[1], argv[2], ctl_lines_add, &recs,
		        err, sizeof(err)) < 0)
			ctl_die(CTL_EX_DATAERR, "%s", err);
	} else if (argc <= 2) {
		size_t len;
		char *text = read_all(src, &len), *p = text;

		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '{') {
			if (ctl_json_records(text, len, ctl_lines_add, &recs,
			        err, sizeof(err)) < 0)
				ctl_die(CTL_EX_DATAERR, "%s: %s", src, err);
		} else {
			if (memchr(text, '\0', len) != NULL)
				ctl_die(CTL_EX_DATAERR, "%s: NUL byte in input",
				    src);
			for (p = text; *p != '\0';) {
				char *nl = strchr(p, '\n');

				if (nl != NULL)
					*nl = '\0';
				ctl_lines_add(&recs, p);
				p = nl != NULL ? nl + 1 : p + strlen(p);
			}
		}
		free(text);
	} else {
		usage();
	}
	/* check every record first: the daemon gets only good ones */
	im = import_new(&none);
	for (i = 0; i < recs.n; i++) {
		char *copy = xstrdup(recs.v[i]);

		if (import_line(im, copy, err, sizeof(err)) < 0)
			ctl_die(CTL_EX_DATAERR, "%s:%zu: %s", src,
			    argc == 3 ? i + 1 : i + 1, err);
		free(copy);
	}
	import_free(im);
	if ((fd = ctl_client_connect(&code)) < 0) {
		if (code == CTL_EX_NOPERM)
			ctl_client_no_daemon(code, "import");
		code = ctl_offline_import(cf, recs.v, recs.n, msg, sizeof(msg));
	} else {
		/* batches under CTL_REQ_MAX, cut only before a grant/black/fish */
		size_t start = 0;

		close(fd);
		code = 0;
		while (code == 0 && start < recs.n) {
			size_t end = start, bytes = 0, cut = start;
			char *data, name[] = "import", *req[1] = {name};

			while (end < recs.n &&
			    bytes + strlen(recs.v[end]) + 1 <
			        CTL_REQ_MAX - 4096) {
				bytes += strlen(recs.v[end]) + 1;
				end++;
				if (end == recs.n ||
				    (strncmp(recs.v[end], "user\t", 5) != 0 &&
				        strncmp(recs.v[end], "pair\t", 5) != 0))
					cut = end;
			}
			if (cut == start)
				ctl_die(CTL_EX_DATAERR, "record %zu: too long",
				    start + 1);
			data = xmalloc(bytes + 1);
			for (bytes = 0, i = start; i < cut; i++) {
				size_t n = strlen(recs.v[i]);

				memcpy(data + bytes, recs.v[i], n);
				data[bytes + n] = '\n';
				bytes += n + 1;
			}
			if ((fd = ctl_client_connect(&code)) < 0)
				ctl_client_no_daemon(code, "import");
			code = ctl_client_request(
			    fd, req, 1, data, bytes, &out, msg, sizeof(msg));
			free(data);
			if (msg[0] != '\0')
				fprintf(code == 0 ? stdout : stderr, "%s%s\n",
				    code == 0 ? "" : "popauthctl: ", msg);
			msg[0] = '\0';
			start = cut;
		}
	}
	if (msg[0] != '\0')
		fprintf(code == 0 ? stdout : stderr, "%s%s\n",
		    code == 0 ? "" : "popauthctl: ", msg);
	ctl_lines_free(&recs);
	ctl_lines_free(&out);
	return code;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"yes", no_argument, NULL, 'y'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf_file = conf_default_file();
	static char *
	    *overrides; /* static: still reachable when ctl_die() exits */
	size_t noverrides = 0, nargs;
	struct conf *c;
	char **args;
	int ch, rc;

	log_open(NULL, false, true);
	overrides = xcalloc((size_t)argc, sizeof(*overrides));
	while (
	    (ch = getopt_long(argc, argv, "c:o:jyh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_file = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'y':
			opt_yes = true;
			break;
		case 'V':
			printf("popauthctl %s\n", POPAUTHD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	args = argv + optind;
	nargs = (size_t)(argc - optind);
	if ((c = conf_load(conf_file, overrides, noverrides)) == NULL) {
		free(overrides);
		return CTL_EX_CONFIG;
	}
	cf = c;
	ctl_client_init(c);
	if (strcmp(args[0], "status") == 0 || strcmp(args[0], "list") == 0 ||
	    strcmp(args[0], "show") == 0 || strcmp(args[0], "export") == 0 ||
	    strcmp(args[0], "explain") == 0)
		rc = cmd_read(args, nargs);
	else if (strcmp(args[0], "grant") == 0 || strcmp(args[0], "ban") == 0 ||
	    strcmp(args[0], "revoke") == 0 || strcmp(args[0], "unban") == 0 ||
	    strcmp(args[0], "delist") == 0 || strcmp(args[0], "flush") == 0 ||
	    strcmp(args[0], "reload") == 0)
		rc = cmd_change(args, nargs);
	else if (strcmp(args[0], "whitelist") == 0)
		rc = cmd_whitelist(args, nargs);
	else if (strcmp(args[0], "import") == 0)
		rc = cmd_import(args, nargs);
	else
		ctl_die(CTL_EX_USAGE, "%s: unknown command (popauthctl --help)",
		    args[0]);
	conf_free(c);
	free(overrides);
	return rc;
}
