#!/bin/bash
# 052-fifo-socket - the FIFO handed over by systemd (popauthd.socket,
# ListenFIFO=): the test plays systemd's part, making the FIFO, holding it open
# on fd 3 and starting popauthd with LISTEN_FDS/LISTEN_PID as systemd does.
# Logins written while popauthd is stopped or killed -9, by writers that come
# and go (rsyslog restarting), are granted at the next start, each exactly
# once; the daemon reads systemd's descriptor (non-blocking, close-on-exec) and
# never reopens the node; a descriptor that is not fifo_path's FIFO is refused.
. "$(dirname "$0")/lib.sh"

pf_dir
REAL=$POPAUTHD
POPAUTHD=$T/activated
cat >"$POPAUTHD" <<EOS
#!/bin/bash
# what systemd does for a socket-activated service: fds from 3, our pid
export LISTEN_PID=\$\$ LISTEN_FDS=1 LISTEN_FDNAMES=popauthd.socket
exec "$REAL" "\$@"
EOS
chmod 755 "$POPAUTHD"

granted_once() { # IP WHEN
	local n
	wait_for -t 10 map_has "$1" || fail "$1 not granted $2: $(map_dump)"
	wait_for log_has "new relay session from $1" || fail "no grant line for $1 $2"
	n=$(grep -cF "new relay session from $1" "$LOG")
	[ "$n" -eq 1 ] || fail "$1 granted $n times ($2)"
}

pa_conf popauth_expire=1h
mkfifo -m 600 "$FIFO"
exec 3<>"$FIFO" # systemd's reader: the pipe and its lines outlive popauthd

note "start on systemd's FIFO"
pa_start
wait_for log_has "$FIFO: FIFO held by systemd (popauthd.socket)" ||
	fail "the daemon did not take the descriptor from systemd"
flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$PA_PID/fdinfo/3")
(( (8#$flags & 8#2000000) && (8#$flags & 8#4000) )) ||
	fail "fd 3 flags $flags: want O_NONBLOCK and close-on-exec"
pa_feed "$(login_line alice 192.0.2.31)"
granted_once 192.0.2.31 "while running"

note "stopped: logins written by two writers in turn (rsyslog restarting) wait in the pipe"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
pa_feed "$(login_line bob 192.0.2.32)"
pa_feed "$(login_line carol 2001:db8::33)"
pa_start
granted_once 192.0.2.32 "after a stop"
granted_once 2001:db8::33 "after a stop"

note "kill -9: the lines written while it was dead are granted at restart"
pa_feed "$(login_line dave 192.0.2.34)"
granted_once 192.0.2.34 "before the kill"
pa_kill9
pa_feed "$(login_line erin 192.0.2.35)" "$(login_line frank 192.0.2.36)"
pa_start
granted_once 192.0.2.35 "after kill -9"
granted_once 192.0.2.36 "after kill -9"
granted_once 192.0.2.34 "after kill -9 (not read again)"

note "the node is systemd's: replacing it is not followed"
rm -f "$FIFO" && mkfifo -m 600 "$FIFO"
pa_feed_old() { printf '%s\n' "$1" >&3; } # systemd's pipe, not the new node
pa_feed_old "$(login_line gina 192.0.2.37)"
granted_once 192.0.2.37 "through the held pipe"
stay_for 2 pa_alive || fail "daemon died"
grep -q "reopening" "$LOG" && fail "the daemon reopened systemd's FIFO by path"
pa_stop

note "a descriptor that is not fifo_path's FIFO is refused with a clear message"
exec 3<&-
: >"$T/plain"
exec 3<>"$T/plain"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] || fail "started on a regular file as systemd's FIFO"
grep -qF "is not the FIFO fifo_path = $FIFO" "$T/run.err" "$LOG" ||
	fail "no clear message: $(cat "$T/run.err")"
exec 3<&-
mkfifo -m 600 "$T/other.fifo"
exec 3<>"$T/other.fifo"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] || fail "started on another FIFO than fifo_path"
grep -qF "ListenFIFO= in popauthd.socket must name the same path" "$T/run.err" "$LOG" ||
	fail "no clear message for the wrong FIFO: $(cat "$T/run.err")"
exec 3<&-
exit 0
