# rig.sh - bring the real mail stack up and down under a private directory.
#
# For test/e2e/run.  rig_up writes every config under $RIG (mktemp -d, mode 755 so
# the postfix and dovenull users can traverse it) and starts, in this order:
#   dnsmasq   test DNS + DNSBL zen.rbl.test on $DNS_ADDR:53, query log dns/queries.log
#   popauthd  (or the stand-in reader)  creates its FIFO and both maps empty
#   rsyslogd  private imuxsock socket (never /dev/log); mail.* -> FIFO (ompipe with an
#             action queue) and -> syslog/mail.log, in the $E2E_FORMAT template
#   smtp-sink everything Postfix accepts lands in sink/ as one file per message
#   dovecot   POP3 + IMAP, passwd-file users, in the private mount namespace
#   postfix   private config dir, in the private mount namespace
# Facts and gotchas: ../../../shared/ref/real-mail-stack.md (sections 3-7).
# Every PID is recorded in $RIG/pids; rig_down stops them by PID in reverse order and
# then any process left in the rig's mount namespaces (children of Dovecot/Postfix).
# Nothing here touches /dev/log, /etc/resolv.conf or /etc/postfix.  popauthd gets
# firewall_backend = none, except with PA_FIREWALL=iptables, which run sets only
# for scenario 4 inside the rig's own network namespace (never the host's).

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "$0")" && pwd)}

# rig_paths - every path and port the rig uses (ports: default, or the next free one)
rig_paths() {
	SYSLOG_SOCK=$RIG/syslog/log.sock
	MAIL_LOG=$RIG/syslog/mail.log
	DNS_LOG=$RIG/dns/queries.log
	PFETC=$RIG/postfix/etc
	MAPDIR=$RIG/postfix/maps
	SINK=$RIG/sink
	PA_DIR=$RIG/popauthd
	PA_CONF=$PA_DIR/popauthd.conf
	PA_LOG=$PA_DIR/popauthd.log
	PA_FIFO=$PA_DIR/maillog.fifo
	RESOLV=$RIG/etc/resolv.conf
	SMTP_PORT=$(pick_port "${E2E_SMTP_PORT:-2525}") || return 1
	CONNECT_PORT=$(pick_port "${E2E_CONNECT_PORT:-$((SMTP_PORT + 1))}") || return 1
	SINK_PORT=$(pick_port "${E2E_SINK_PORT:-10026}") || return 1
	POP3_PORT=$(pick_port "${E2E_POP3_PORT:-10110}") || return 1
	IMAP_PORT=$(pick_port "${E2E_IMAP_PORT:-10143}") || return 1
	SNIPPET_PORT=$(pick_port "${E2E_SNIPPET_PORT:-$((SMTP_PORT + 2))}") || return 1
	DNS_ADDR=${E2E_DNS_ADDR:-$(pick_dns_addr)} || return 1
}

# MAPT - the map_type of popauthd's two tables in this pass (E2E_MAP_TYPE:
# hash or lmdb); main.cf and the snippet listener name them with it
MAPT=${E2E_MAP_TYPE:-hash}
# map_sfx - the table file's suffix for MAPT
map_sfx() {
	if [ "$MAPT" = lmdb ]; then echo .lmdb; else echo .db; fi
}

# rig_snippet_listener - maps/main.cf.snippet, exactly as shipped but for its
# paths and DNSBL, as the -o settings of one more smtpd (SNIPPET_PORT), with
# the example access tables of maps/: scenario 7 tests what an admin copies
rig_snippet_listener() {
	for t in helo_checks sender_checks recipient_checks; do
		cp "$REPO/maps/$t" "$PFETC/$t"
	done
	SNIPPET_OPTS=$(python3 - "$REPO/maps/main.cf.snippet" "$MAPDIR" "$PFETC" "$MAPT" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = text.replace("hash:/etc/postfix/popauthd/", sys.argv[4] + ":/etc/postfix/popauthd/")
text = text.replace("/etc/postfix/popauthd/", sys.argv[2] + "/")
text = text.replace("/etc/postfix/", sys.argv[3] + "/")
text = text.replace("zen.spamhaus.org", "zen.rbl.test")
settings, cur = [], None
for line in text.split("\n"):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    if line[0].isspace() and cur is not None:
        cur[1] += " " + line.strip()
    else:
        name, _, value = line.partition("=")
        cur = [name.strip(), value.strip()]
        settings.append(cur)
for name, value in settings:
    print("  -o { %s = %s }" % (name, value))
PY
) || return 1
}

rig_write_configs() {
	mkdir -p "$RIG/pids" "$RIG/syslog/work" "$RIG/dns" "$RIG/etc" \
	    "$RIG/dovecot/run" "$RIG/dovecot/state" "$RIG/dovecot/mail" \
	    "$PFETC" "$RIG/postfix/spool" "$RIG/postfix/data" "$MAPDIR" "$SINK" \
	    "$PA_DIR/data"
	chown 5000:5000 "$RIG/dovecot/mail"
	chown postfix:postfix "$RIG/postfix/data" "$SINK"

	case "$E2E_FORMAT" in
	rfc3339) tpl=RSYSLOG_FileFormat ;;
	*) tpl=RSYSLOG_TraditionalFileFormat ;;
	esac
	rig_snippet_listener
	cat >"$RIG/syslog/rsyslog.conf" <<-EOT
	global(workDirectory="$RIG/syslog/work" maxMessageSize="8k" net.enableDNS="off")
	module(load="imuxsock" SysSock.Use="off")
	input(type="imuxsock" Socket="$SYSLOG_SOCK" CreatePath="on" RateLimit.Interval="0")
	mail.* action(type="ompipe" pipe="$PA_FIFO" template="$tpl"
	              queue.type="LinkedList" queue.size="100000"
	              action.resumeRetryCount="-1" action.resumeInterval="1")
	mail.* action(type="omfile" file="$MAIL_LOG" template="$tpl")
	*.*    action(type="omfile" file="$RIG/syslog/all.log" template="RSYSLOG_FileFormat")
	EOT

	printf 'nameserver %s\n' "$DNS_ADDR" >"$RESOLV"
	: >"$RIG/dns/hosts"
	cat >"$RIG/dns/dnsmasq.conf" <<-EOT
	listen-address=$DNS_ADDR
	bind-interfaces
	port=53
	no-resolv
	no-hosts
	no-poll
	local=/#/
	addn-hosts=$RIG/dns/hosts
	user=root
	pid-file=$RIG/dns/dnsmasq.pid
	log-queries
	log-facility=$DNS_LOG
	address=/3.0.0.127.zen.rbl.test/127.0.0.2
	txt-record=3.0.0.127.zen.rbl.test,"Listed by e2e test RBL, see http://rbl.test/q?127.0.0.3"
	address=/4.0.0.127.zen.rbl.test/127.0.0.4
	EOT

	cat >"$RIG/dovecot/users" <<-EOT
	popuser:{PLAIN}poppass1:::::
	imapuser:{PLAIN}imappass1:::::
	EOT
	cat >"$RIG/dovecot/dovecot.conf" <<-EOT
	protocols = pop3 imap
	base_dir = $RIG/dovecot/run
	state_dir = $RIG/dovecot/state
	listen = 127.0.0.1, ::1
	ssl = no
	disable_plaintext_auth = no
	auth_mechanisms = plain login
	auth_verbose = yes
	log_path = syslog
	syslog_facility = mail
	first_valid_uid = 1000
	mail_location = maildir:$RIG/dovecot/mail/%u
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $RIG/dovecot/users
	}
	userdb {
	  driver = static
	  args = uid=5000 gid=5000 home=$RIG/dovecot/mail/%u
	}
	service pop3-login {
	  inet_listener pop3 {
	    port = $POP3_PORT
	  }
	  inet_listener pop3s {
	    port = 0
	  }
	}
	service imap-login {
	  inet_listener imap {
	    port = $IMAP_PORT
	  }
	  inet_listener imaps {
	    port = 0
	  }
	}
	EOT

	printf 'popuser@rig.test OK\nimapuser@rig.test OK\nbob@rig.test OK\n' \
	    >"$PFETC/local_recipients"
	cat >"$PFETC/main.cf" <<-EOT
	compatibility_level = 3.6
	queue_directory = $RIG/postfix/spool
	data_directory = $RIG/postfix/data
	meta_directory = /etc/postfix
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = mx.rig.test
	mydomain = rig.test
	myorigin = rig.test
	mydestination = \$myhostname, localhost, rig.test
	inet_interfaces = 127.0.0.1, [::1]
	inet_protocols = all
	mynetworks = 127.0.0.1/32
	relayhost = [127.0.0.1]:$SINK_PORT
	local_transport = smtp:[127.0.0.1]:$SINK_PORT
	alias_maps =
	alias_database =
	local_recipient_maps = hash:$PFETC/local_recipients
	biff = no
	smtpd_helo_required = yes
	smtpd_delay_reject = yes
	smtpd_relay_restrictions =
	smtpd_client_restrictions = check_client_access $MAPT:$MAPDIR/rbl_checks
	smtpd_recipient_restrictions = permit_mynetworks,
	    check_client_access $MAPT:$MAPDIR/popauth_checks,
	    reject_rbl_client zen.rbl.test,
	    reject_unauth_destination
	smtpd_error_sleep_time = 0
	smtpd_soft_error_limit = 100
	smtpd_hard_error_limit = 100
	smtpd_client_connection_rate_limit = 0
	maillog_file =
	EOT
	cat >"$PFETC/master.cf" <<-EOT
	127.0.0.1:$SMTP_PORT inet n - n - - smtpd
	[::1]:$SMTP_PORT inet n - n - - smtpd
	127.0.0.1:$CONNECT_PORT inet n - n - - smtpd -o smtpd_delay_reject=no
	127.0.0.1:$SNIPPET_PORT inet n - n - - smtpd
	$SNIPPET_OPTS
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOT

	cat >"$PA_CONF" <<-EOT
	# popauthd.conf written by test/e2e/run (as an admin would write one)
	fifo_path = $PA_FIFO
	data_directory = $PA_DIR/data
	map_directory = $MAPDIR
	map_type = $MAPT
	rules_directory = $REPO/etc/rules
	log_file = $PA_LOG
	pid_file = $PA_DIR/popauthd.pid
	control_socket = $PA_DIR/control.sock
	run_as_user =
	firewall_backend = ${PA_FIREWALL:-none}
	whitelist_file =
	popauth_expire = $POPAUTH_EXPIRE
	rbl_cache_expire = 1h
	nullroute_fish_thresh = 5
	localhost_dns_name = mx.rig.test
	EOT
	# scenario 4 only: run refuses this unless it is inside the rig's own netns
	if [ "${PA_FIREWALL:-none}" = iptables ]; then
		cat >>"$PA_CONF" <<-EOT
		# null-route (scenario 4, in the rig's own network namespace)
		iptables_chain = POPAUTH
		nullroute_scope = all
		nullroute_freq_bansecs = ${NULLROUTE_BANSECS}s
		nullroute_alert_thresh = 2
		alert_smtp_server = 127.0.0.1:$SINK_PORT
		alert_timeout = 10s
		alert_retries = 1
		sysadmin_email_address = admin@rig.test
		sysadmin_email_name = popauthd e2e alert
		EOT
	fi
}

# ns DAEMON... - run a command in the private mount namespace (/dev/log, resolv.conf)
ns() {
	"$E2E_DIR/nsexec.sh" "$SYSLOG_SOCK" "$RESOLV" "$@"
}

rsyslog_start() {
	rm -f "$SYSLOG_SOCK"
	rsyslogd -n -f "$RIG/syslog/rsyslog.conf" -i "$RIG/syslog/rsyslogd.pid" \
	    >>"$RIG/syslog/rsyslogd.out" 2>&1 9>&- &
	pid_record rsyslogd $! rsyslogd
	wait_until 10 test -S "$SYSLOG_SOCK"
}
rsyslog_stop() {
	stop_pid rsyslogd TERM 10
}

# popauthd_start - as an admin would: foreground (-f) with the rig's config file;
# ready when it holds its FIFO open and both maps exist
popauthd_start() {
	"$POPAUTHD" -f -c "$PA_CONF" >>"$PA_DIR/stderr" 2>&1 9>&- &
	pid_record popauthd $! popauthd
	wait_until 10 popauthd_ready
}
popauthd_ready() {
	_pr_pid=$(pid_of popauthd)
	pid_alive "$_pr_pid" && [ -p "$PA_FIFO" ] &&
	    [ -s "$MAPDIR/popauth_checks$(map_sfx)" ] &&
	    [ -s "$MAPDIR/rbl_checks$(map_sfx)" ] &&
	    holds_open "$_pr_pid" "$PA_FIFO"
}
# holds_open PID PATH - PID has PATH open
holds_open() {
	for _ho in "/proc/$1/fd"/*; do
		[ "$(readlink "$_ho" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}
popauthd_stop() {
	stop_pid popauthd "${1:-TERM}" 10
}

# standin_start - no popauthd binary: a FIFO reader that copies lines to a file, and
# the two maps created empty with postmap (the rig self-test writes them itself)
standin_start() {
	mkfifo -m 600 "$PA_FIFO"
	sh -c 'exec 3<>"$1"; exec cat <&3 >>"$2" 2>/dev/null' standin "$PA_FIFO" \
	    "$PA_DIR/fifo.copy" </dev/null >/dev/null 2>&1 9>&- &
	pid_record standin $! cat
	: >"$MAPDIR/popauth_checks"
	: >"$MAPDIR/rbl_checks"
	postmap -c "$PFETC" "hash:$MAPDIR/popauth_checks" "hash:$MAPDIR/rbl_checks"
}

rig_up() {
	rig_paths || { echo "e2e: no free ports" >&2; return 1; }
	rig_write_configs
	postmap -c "$PFETC" "hash:$PFETC/local_recipients" "hash:$PFETC/helo_checks" \
	    "hash:$PFETC/sender_checks" "hash:$PFETC/recipient_checks" || return 1
	rsyslogd -N1 -f "$RIG/syslog/rsyslog.conf" >"$RIG/syslog/check.out" 2>&1 || {
		cat "$RIG/syslog/check.out" >&2
		return 1
	}
	doveconf -c "$RIG/dovecot/dovecot.conf" -n >/dev/null || return 1

	dnsmasq -k -C "$RIG/dns/dnsmasq.conf" >"$RIG/dns/dnsmasq.out" 2>&1 9>&- &
	pid_record dnsmasq $! dnsmasq
	wait_until 10 listening u "$DNS_ADDR:53" || { echo "e2e: dnsmasq did not start" >&2; return 1; }

	if [ -n "$STANDIN" ]; then
		standin_start || return 1
	else
		popauthd_start || {
			echo "e2e: popauthd did not start (stderr and log:)" >&2
			tail -20 "$PA_DIR/stderr" "$PA_LOG" 2>/dev/null >&2
			return 1
		}
	fi
	rsyslog_start || { echo "e2e: rsyslogd did not start" >&2; return 1; }

	smtp-sink -u postfix -d "$SINK/%Y%m%d-%H%M%S." "127.0.0.1:$SINK_PORT" 64 \
	    >"$RIG/sink.out" 2>&1 9>&- &
	pid_record smtp-sink $! smtp-sink

	# a simple command in the background: $! is nsexec.sh's PID, which execs
	# unshare, sh and finally dovecot -F (foreground), all with the same PID
	"$E2E_DIR/nsexec.sh" "$SYSLOG_SOCK" "$RESOLV" \
	    dovecot -F -c "$RIG/dovecot/dovecot.conf" >"$RIG/dovecot/out" 2>&1 9>&- &
	pid_record dovecot $! dovecot
	ns postfix -c "$PFETC" start >"$RIG/postfix/start.out" 2>&1 9>&- || {
		echo "e2e: postfix start failed:" >&2
		cat "$RIG/postfix/start.out" >&2
		tail -20 "$MAIL_LOG" >&2
		return 1
	}
	wait_until 10 test -s "$RIG/postfix/spool/pid/master.pid" || return 1
	wait_until 5 dovecot_execd "$(pid_of dovecot)" || return 1
	pid_record postfix "$(tr -dc 0-9 <"$RIG/postfix/spool/pid/master.pid")" master
	# the namespace Dovecot and Postfix run in, to find their children at the end
	readlink "/proc/$(pid_of postfix)/ns/mnt" >"$RIG/ns.postfix"
	readlink "/proc/$(pid_of dovecot)/ns/mnt" >"$RIG/ns.dovecot"

	wait_until 15 rig_listening || {
		echo "e2e: listeners missing:" >&2
		ss -Hltn >&2
		return 1
	}
}

dovecot_execd() {
	[ "$(pid_comm "$1")" = dovecot ]
}

rig_listening() {
	listening t "127.0.0.1:$SMTP_PORT" && listening t "[::1]:$SMTP_PORT" &&
	    listening t "127.0.0.1:$CONNECT_PORT" && listening t "127.0.0.1:$SINK_PORT" &&
	    listening t "127.0.0.1:$POP3_PORT" && listening t "[::1]:$POP3_PORT" &&
	    listening t "127.0.0.1:$IMAP_PORT"
}

# rig_ns_pids - processes still in the mount namespaces our Dovecot/Postfix ran in
rig_ns_pids() {
	for _f in "$RIG/ns.postfix" "$RIG/ns.dovecot"; do
		[ -s "$_f" ] || continue
		_ns=$(cat "$_f")
		for _p in /proc/[0-9]*; do
			[ "$(readlink "$_p/ns/mnt" 2>/dev/null)" = "$_ns" ] || continue
			pid_alive "${_p#/proc/}" && printf '%s\n' "${_p#/proc/}"
		done
	done
}
rig_ns_empty() {
	[ -z "$(rig_ns_pids)" ]
}

# rig_down - stop every recorded PID (reverse start order), then the namespace leftovers
rig_down() {
	[ -n "${RIG:-}" ] && [ -d "$RIG/pids" ] || return 0
	stop_pid postfix TERM 10
	stop_pid dovecot TERM 10
	stop_pid smtp-sink TERM 5
	stop_pid rsyslogd TERM 10
	stop_pid popauthd TERM 10
	stop_pid standin TERM 5
	stop_pid dnsmasq TERM 5
	if ! wait_until 5 rig_ns_empty; then
		for _p in $(rig_ns_pids); do
			note "leftover pid $_p ($(pid_comm "$_p")) in the rig namespace: SIGKILL"
			kill -KILL "$_p" 2>/dev/null || true
		done
	fi
	for _f in "$RIG"/pids/*; do
		[ -e "$_f" ] && stop_pid "${_f##*/}" TERM 5
	done
	return 0
}
