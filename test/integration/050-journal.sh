#!/bin/bash
# 050-journal - input = journal, without journald: journal files written by
# systemd-journal-remote from the export format (../shared/ref/backends.md).
# Asserts what Postfix sees (postmap -q) and that every login is acted on
# exactly once (one grant line per address in the log) across: the first
# start (popauth_expire back, not further), files added while running, a
# stop with entries added while down, and kill -9 in a stream of logins.
. "$(dirname "$0")/lib.sh"

JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "systemd-journal-remote is not installed"
need journalctl
pf_dir
JD=$T/journal
mkdir -p "$JD"
pa_conf input=journal journal_directory="$JD" popauth_expire=1h

# entry USEC IP [IDENT [FACILITY]] - one Dovecot login in the export format
entry() {
	printf '__REALTIME_TIMESTAMP=%s\n' "$1"
	printf 'MESSAGE=pop3-login: Login: user=<u%s>, method=PLAIN, rip=%s, lip=%s, mpid=21631, session=<gOKkYutgQep/AAAC>\n' \
		"${2##*.}" "$2" "$LIP"
	printf 'SYSLOG_IDENTIFIER=%s\nSYSLOG_FACILITY=%s\n_HOSTNAME=vm\n_PID=4242\n\n' \
		"${3:-dovecot}" "${4:-2}"
}
usec() { date +%s%6N; }
NFILE=0
# jfile - export entries on stdin into a new journal file in $JD
jfile() {
	NFILE=$((NFILE + 1))
	"$JR" -o "$JD/f$NFILE.journal" - >"$T/jr.out" 2>&1 || fail "journal-remote: $(cat "$T/jr.out")"
}
# once IP - exactly one grant line for IP in the log (no "refreshed": a
# second reading of the same entry would log that)
once() {
	local n
	n=$(grep -cE "relay session from $1( x [0-9]+)?\$" "$LOG")
	[ "$n" -eq 1 ] || fail "$1: $n grant lines, want exactly 1: $(grep -E "from $1( |\$)" "$LOG")"
}
# atmost_once IP - after kill -9: a grant line whose grant was committed but
# whose map write was not yet done dies with the process (engine.c holds
# event lines until Postfix sees the change); what must never appear is a
# second reading: a "refreshed" line or two "new" lines
atmost_once() {
	local n
	n=$(grep -cE "relay session from $1( x [0-9]+)?\$" "$LOG")
	[ "$n" -le 1 ] || fail "$1: $n grant lines, want at most 1: $(grep -E "from $1( |\$)" "$LOG")"
	! grep -qE "refreshed .* from $1( x [0-9]+)?\$" "$LOG" || fail "$1 was read twice: $(grep -E "from $1( |\$)" "$LOG")"
}

note "first start: a login 2 min ago counts, one 2 h ago does not"
now=$(usec)
{
	entry $((now - 7200000000)) 192.0.2.60
	entry $((now - 120000000)) 192.0.2.61
	entry $((now - 110000000)) 192.0.2.62 dovecot 3 # not the mail facility
	entry $((now - 100000000)) 192.0.2.65 sshd       # not dovecot's tag
} | jfile
journalctl -D "$JD" -o short | grep -q 192.0.2.61 || fail "journalctl -D does not see the entry"
pa_start
wait_for map_has 192.0.2.61 || fail "192.0.2.61 not granted: $(map_dump)"
map_lacks 192.0.2.60 || fail "a login older than popauth_expire was granted"
map_lacks 192.0.2.62 || fail "a login outside the mail facility was granted"
map_lacks 192.0.2.65 || fail "a login under another tag was granted"

note "a new journal file while running"
entry "$(usec)" 192.0.2.63 | jfile
wait_for map_has 192.0.2.63 || fail "192.0.2.63 (new file) not granted: $(map_dump)"

note "stop, log while down, start: granted once"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
entry "$(usec)" 192.0.2.64 | jfile
pa_start
wait_for map_has 192.0.2.64 || fail "192.0.2.64 (logged while down) not granted"
for ip in 192.0.2.61 192.0.2.63 192.0.2.64; do once $ip; done

note "kill -9 in a stream of logins: each granted exactly once"
IPS=()
for round in 1 2 3 4; do
	for batch in 1 2 3; do
		b=$(usec)
		for i in 1 2 3 4 5; do
			IPS+=("198.51.$((100 + round)).$((batch * 10 + i))")
		done
		for i in 1 2 3 4 5; do
			entry $((b + i)) "${IPS[$((${#IPS[@]} - 6 + i))]}"
		done | jfile
	done
	# kill at a different moment each round
	case $round in
	1) ;;
	2) wait_for map_has "198.51.102.11" || true ;;
	3) wait_for map_has "${IPS[$((${#IPS[@]} - 1))]}" || true ;;
	4) sleep 0.0$RANDOM ;;
	esac
	pa_kill9
	pa_start
done
for ip in "${IPS[@]}"; do
	wait_for map_has "$ip" || fail "$ip not granted after the kill -9 rounds: $(map_count) in the map"
done
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
for ip in 192.0.2.61 192.0.2.63 192.0.2.64; do once "$ip"; done
for ip in "${IPS[@]}"; do atmost_once "$ip"; done
note "${#IPS[@]} logins across 4 kill -9: each granted, none read twice"

note "--test and --replay read a journal directory too"
"$POPAUTHD" -c "$CONF" --test "$JD" >"$T/jtest.out" 2>"$T/jtest.err" ||
	fail "--test DIR: $(cat "$T/jtest.err")"
grep -q '^dovecot-login login ip=192.0.2.61 user=u61$' "$T/jtest.out" ||
	fail "--test DIR does not show the Dovecot login: $(head -3 "$T/jtest.out")"
grep -q 'ip=192.0.2.65' "$T/jtest.out" && fail "--test DIR: another program's line matched"
grep -q 'ip=192.0.2.62' "$T/jtest.out" && fail "--test DIR: another facility's entry was read"
rm -rf "$DATADIR" "$MAPDIR"
pa_run 60 -c "$CONF" --replay "$JD"
[ "$PA_RC" -eq 0 ] || fail "--replay DIR: exit $PA_RC: $(tail -3 "$T/run.err")"
last=${IPS[$((${#IPS[@]} - 1))]}
map_has "$last" || fail "--replay DIR: the last login $last is not granted: $(map_count)"
map_lacks 192.0.2.60 || fail "--replay DIR: a login hours before the end is still granted"
exit 0
