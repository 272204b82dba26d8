#!/bin/bash
# 056-rsyslog-fifo - a real rsyslog (private config and socket, started here,
# stopped by pid) writes the mail facility into the FIFO that the test holds
# open as systemd's popauthd.socket would (fd 3, LISTEN_FDS, as in 052).
# popauthd is stopped, killed -9 in a stream of logins, and rsyslog itself is
# restarted while popauthd is down: no login is lost, none is read twice.
# What "nothing lost" rests on: the held pipe keeps what rsyslog wrote while
# popauthd was away (up to the pipe's size; rsyslog's action queue retries
# when it is full), and data_directory/fifo.spool keeps what popauthd had
# read but not yet acted on when it died.
. "$(dirname "$0")/lib.sh"

RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip "rsyslogd is not installed"
need logger
pf_dir
REAL=$POPAUTHD
POPAUTHD=$T/activated
cat >"$POPAUTHD" <<EOS
#!/bin/bash
export LISTEN_PID=\$\$ LISTEN_FDS=1 LISTEN_FDNAMES=popauthd.socket
exec "$REAL" "\$@"
EOS
chmod 755 "$POPAUTHD"

RS=$T/rsyslog
SOCK=$RS/log.sock
mkdir -p "$RS/work"
cat >"$RS/rsyslog.conf" <<EOF2
global(workDirectory="$RS/work" maxMessageSize="8k" net.enableDNS="off")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$SOCK" CreatePath="on")
mail.*  action(type="ompipe" pipe="$FIFO" template="RSYSLOG_TraditionalFileFormat"
               queue.type="LinkedList" queue.size="100000"
               action.resumeRetryCount="-1" action.resumeInterval="1")
EOF2
"$RSYSLOGD" -N1 -f "$RS/rsyslog.conf" >"$RS/check.out" 2>&1 ||
	skip "rsyslogd rejects the private config: $(tail -2 "$RS/check.out")"
RS_PID=
rs_start() {
	"$RSYSLOGD" -f "$RS/rsyslog.conf" -i "$RS/pid" || fail "rsyslogd did not start"
	wait_for -t 5 test -S "$SOCK" -a -s "$RS/pid" || fail "rsyslogd: no socket"
	RS_PID=$(cat "$RS/pid")
}
rs_stop() {
	[ -n "$RS_PID" ] || return 0
	kill -TERM "$RS_PID" 2>/dev/null
	wait_for -t 10 eval '! kill -0 $RS_PID 2>/dev/null' || kill -KILL "$RS_PID"
	RS_PID=
}
trap 'rs_stop; _lib_cleanup' EXIT

IPS=$T/ips
: >"$IPS"
K=0
# logins N - N Dovecot logins through rsyslog's socket, new addresses
logins() {
	local i ip
	for ((i = 0; i < $1; i++)); do
		K=$((K + 1))
		if ((K % 2)); then ip=10.56.$((K / 200)).$((K % 200)); else ip=2001:db8:56::$K; fi
		echo "$ip" >>"$IPS"
		logger -u "$SOCK" -p mail.info -t dovecot \
			"pop3-login: Login: user=<u$K>, method=PLAIN, rip=$ip, lip=$LIP, mpid=21631, session=<gOKkYutgQep/AAAC>" ||
			fail "logger failed"
	done
}
all_in_map() { [ "$(map_count)" -ge "$(wc -l <"$IPS")" ]; }

pa_conf popauth_expire=1h map_flush_delay_ms=0
mkfifo -m 600 "$FIFO"
exec 3<>"$FIFO" # systemd's reader: the pipe outlives popauthd and rsyslog
rs_start
pa_start
note "rsyslog -> FIFO -> popauthd"
logins 40
wait_for -t 15 all_in_map || fail "$(map_count) of $K logins granted while running"

note "popauthd stopped: logins wait in the held pipe"
pa_stop
logins 40
pa_start
wait_for -t 15 all_in_map || fail "$(map_count) of $K logins granted after a stop"

note "kill -9 while logins stream in, 5 times"
for round in 1 2 3 4 5; do
	logins 30 &
	sleep "0.$((RANDOM % 4))"
	pa_kill9
	wait $! || fail "logger loop failed"
	K=$((K + 30))
	pa_start
done
wait_for -t 20 all_in_map || fail "$(map_count) of $K logins granted after kill -9"

note "rsyslog restarts while popauthd is down"
pa_stop
logins 30
rs_stop
rs_start
logins 30
pa_start
wait_for -t 20 all_in_map || fail "$(map_count) of $K logins granted after an rsyslog restart"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
rs_stop
granted_once_each "$IPS" 60
exit 0
