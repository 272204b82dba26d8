#!/bin/bash
# 041-sendmail-proc.sh - plain sendmail "User unknown" lines through the FIFO:
# the client is found as blocksmtp did, from the logging PID's sockets and
# /proc/net/tcp.  A python3 process stands in for the sendmail child: it
# listens on 127.0.0.1:PORT and holds a connection from 127.0.0.77 (a forked
# client); its PID goes into the log lines.  More than three offenses list and
# ban 127.0.0.77 and, with sendmail_kill_banned, TERM the "child".  A PID with
# no connection to the mailer port, and lines from another syslog host, list
# nobody.  Last, the same as run_as_user = nobody: the daemon keeps no
# capability and its /proc helper finds the client of the root-owned process.
. "$(dirname "$0")/lib.sh"

need python3
pf_dir

# session CLIENT-IP NAME - start a server holding one connection from
# CLIENT-IP; writes $T/NAME.pid and $T/NAME.port
session() {
	python3 - "$1" "$T/$2" <<'PY' &
import os, socket, sys
client_ip, base = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
if os.fork() == 0:
    srv.close()
    c = socket.socket()
    c.bind((client_ip, 0))
    c.connect(("127.0.0.1", port))
    c.recv(1)           # until the server side goes away
    os._exit(0)
conn, _ = srv.accept()
srv.close()             # a sendmail child keeps only its session
with open(base + ".port.tmp", "w") as f:
    f.write(str(port))
os.rename(base + ".port.tmp", base + ".port")
with open(base + ".pid.tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(base + ".pid.tmp", base + ".pid")
conn.recv(1)
PY
	SESSIONS+=($!)
	wait_for test -s "$T/$2.pid" || fail "python session $2 did not start"
}
SESSIONS=()
cleanup_sessions() {
	local p
	for p in "${SESSIONS[@]}"; do kill "$p" 2>/dev/null; done
	_lib_cleanup
}
trap cleanup_sessions EXIT

uu() { # HOST PID N - a plain User unknown line from sendmail PID
	echo "$(date '+%b %e %H:%M:%S') $1 sm-mta[$2]: 5ANAF4Qx0$2$3: <guess$3@example.org>... User unknown"
}

session 127.0.0.77 s1
session 127.0.0.78 s2
PID1=$(cat "$T/s1.pid") PORT1=$(cat "$T/s1.port")
PID2=$(cat "$T/s2.pid")
# both listen on their own port; the mailer is s1's port
pa_conf sendmail_listen="127.0.0.1:$PORT1" sendmail_syslog_host=mx
pa_start

# 1. the right PID, three offenses: counted, not listed
pa_feed "$(uu mx "$PID1" 1)" "$(uu mx "$PID1" 2)" "$(uu mx "$PID1" 3)"
wait_for log_has "127.0.0.77 has 3 sendmail User unknown offenses" ||
	fail "c1: offenses of 127.0.0.77 not counted"
map_lacks 127.0.0.77 rbl_checks || fail "c1: listed after 3 offenses"
note "c1 PID $PID1 -> 127.0.0.77, three offenses: ok"

# 2. a PID whose connection is not on the mailer port; another syslog host
pa_feed "$(uu mx "$PID2" 1)" "$(uu other "$PID1" 4)" "$(uu mx $$ 5)"
wait_for log_has "sendmail pid $PID2: User unknown, but no connection to 127.0.0.1:$PORT1 found" ||
	fail "c2: no 'no connection' line for pid $PID2"
wait_for log_has "sendmail pid $$: User unknown, but no connection" ||
	fail "c2: the test shell's pid was correlated"
if log_has "127.0.0.78 has"; then fail "c2: 127.0.0.78 counted"; fi
if log_has "127.0.0.77 has 4"; then fail "c2: a line from host 'other' counted"; fi
note "c2 wrong port, other host, unrelated PID: ok"

# 3. the fourth offense lists and bans; the "sendmail child" gets TERM
pa_feed "$(uu mx "$PID1" 6)"
wait_for map_has 127.0.0.77 rbl_checks "554 5.7.1 Your IP address has been blacklisted by $(hostname). Visit their website or write to argue. SMTP USER NAME GUESSING IS NOT TOLERATED HERE! 4 unknown recipients, the latest <guess6@example.org>!" ||
	fail "c3: 127.0.0.77 not listed: $(map_q 127.0.0.77 rbl_checks)"
grep -F "127.0.0.77 [unknown] has been banned" "$LOG" | grep -qF "(3h 0m 0s)" ||
	fail "c3: not banned for 3h"
wait_for log_has "127.0.0.77: sent TERM to pid $PID1 (sendmail child of a banned client)" ||
	fail "c3: the session was not ended"
wait_for bash -c "! kill -0 $PID1 2>/dev/null" || fail "c3: pid $PID1 still alive"
kill -0 "$PID2" 2>/dev/null || fail "c3: the other session was killed"
if log_has "sent TERM to pid $PID2"; then fail "c3: pid $PID2 signalled"; fi
note "c3 ban and session end: ok"

# 4. a late line of the exited child still maps to its client (cache)
pa_feed "$(uu mx "$PID1" 7)"
wait_for log_has "127.0.0.77 has 5 sendmail User unknown offenses" ||
	fail "c4: cached PID answer not used after exit"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "popauthd exited $PA_RC"
note "c4 cached answer after exit: ok"

# 5. run_as_user = nobody: the daemon itself cannot read the fds of the
#    root-owned "sendmail child"; its helper (a child of the daemon, forked
#    before the drop) keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only and
#    answers for it, so the client is still found and listed
# (c1-c4 passed: without root or nobody, only c5 is left out)
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	note "c5 left out: needs root and a user nobody"
	exit 0
fi
chmod 755 "$T"
session 127.0.0.79 s3
PID3=$(cat "$T/s3.pid") PORT3=$(cat "$T/s3.port")
[ "$(stat -c %U "/proc/$PID3")" = root ] || fail "c5: the session is not root's"
rm -rf "$DATADIR" "$MAPDIR"
LOG=$T/nobody.log
# not killing: TERM to a root process needs CAP_KILL, which nobody lacks
pa_conf sendmail_listen="127.0.0.1:$PORT3" sendmail_syslog_host=mx \
	run_as_user=nobody sendmail_kill_banned=no log_file="$LOG"
pa_start
wait_for log_has "running as nobody" || fail "c5: no 'running as nobody' line"
pa_feed "$(uu mx "$PID3" 1)" "$(uu mx "$PID3" 2)" "$(uu mx "$PID3" 3)" "$(uu mx "$PID3" 4)"
wait_for listed 127.0.0.79 "4 unknown recipients" ||
	fail "c5: 127.0.0.79 not listed as nobody: $(map_q 127.0.0.79 rbl_checks)"
# status_field PID NAME - a line of /proc/PID/status
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
helper=$(sed -n 's/.*sendmail \/proc correlation: helper pid \([0-9]*\) keeps.*/\1/p' "$LOG")
[ -n "$helper" ] || fail "c5: no helper start line"
[ "$(status_field "$helper" PPid)" = "$PA_PID" ] ||
	fail "c5: helper $helper is no child of the daemon $PA_PID"
# cap_is PID FIELD HEX - /proc/PID/status FIELD (CapEff, ...) is HEX
cap_is() {
	[ "$(status_field "$1" "$2")" = "$3" ] ||
		fail "c5: pid $1 $2 is $(status_field "$1" "$2"), want $3"
}
# the daemon: nothing; the helper: bit 19 CAP_SYS_PTRACE and bit 2
# CAP_DAC_READ_SEARCH, and an empty bounding set (no exec brings more back)
for f in CapEff CapPrm CapBnd; do
	cap_is "$PA_PID" $f 0000000000000000
done
cap_is "$helper" CapEff 0000000000080004
cap_is "$helper" CapPrm 0000000000080004
cap_is "$helper" CapBnd 0000000000000000
for p in "$PA_PID" "$helper"; do
	read -r ruid euid _ < <(status_field "$p" Uid)
	[ "$ruid" = "$(id -u nobody)" ] && [ "$euid" = "$(id -u nobody)" ] ||
		fail "c5: pid $p runs as $ruid/$euid"
	[ "$(status_field "$p" NoNewPrivs)" = 1 ] || fail "c5: pid $p lacks NoNewPrivs"
done
pa_stop
[ "$PA_RC" -eq 0 ] || fail "c5: popauthd exited $PA_RC"
wait_for bash -c "! kill -0 $helper 2>/dev/null" || fail "c5: helper $helper outlived the daemon"
note "c5 as nobody through the helper: ok"
exit 0
