#!/bin/bash
# 004-replay - --replay uses the log's own timestamps as the clock: grants
# expire popauth_expire after the last login as that clock passes, a repeat
# login extends the grant, and New Year does not confuse the clock.
. "$(dirname "$0")/lib.sh"

export TZ=UTC
pf_dir
pa_conf popauth_expire=30m

unrelated() { # STAMP
	echo "$1 vm postfix/smtpd[32162]: connect from unknown[203.0.113.9]"
}

# replay NAME - fresh state, replay $T/NAME.log (written by the caller)
replay() {
	rm -rf "$DATADIR" "$MAPDIR" "$LOG"
	mkdir -p "$DATADIR" "$MAPDIR"
	pa_run 30 -c "$CONF" --replay "$T/$1.log"
	[ "$PA_RC" -eq 0 ] || fail "$1: --replay exit $PA_RC: $(tail -n 5 "$T/run.err")"
	map_valid || fail "$1: popauth_checks is not a valid table after the replay"
}

note "a login at 10:00:00 -> granted"
login_line alice 192.0.2.10 "Nov 23 10:00:00" >"$T/a.log"
replay a
map_has 192.0.2.10 || fail "a: 192.0.2.10 not granted: $(map_dump)"
[ ! -e "$FIFO" ] || fail "--replay created the FIFO"
[ ! -e "$PIDFILE" ] || fail "--replay wrote a pid file"

note "login at 10:00:00, unrelated line at 10:31:00 -> expired"
{
	login_line alice 192.0.2.10 "Nov 23 10:00:00"
	unrelated "Nov 23 10:31:00"
} >"$T/b.log"
replay b
map_lacks 192.0.2.10 || fail "b: 192.0.2.10 still granted 31 min after its login: $(map_dump)"
log_has "Relay authorization for 192.0.2.10 has expired and has been removed" ||
	fail "b: log lacks the expiry line"

note "... and at 10:29:59 still granted"
{
	login_line alice 192.0.2.10 "Nov 23 10:00:00"
	unrelated "Nov 23 10:29:59"
} >"$T/b2.log"
replay b2
map_has 192.0.2.10 || fail "b2: 192.0.2.10 expired before 30 min: $(map_dump)"

note "repeat login at 10:20:00: still granted at 10:45, gone at 10:51"
{
	login_line alice 192.0.2.10 "Nov 23 10:00:00"
	login_line alice 192.0.2.10 "Nov 23 10:20:00"
	unrelated "Nov 23 10:45:00"
} >"$T/c1.log"
replay c1
map_has 192.0.2.10 || fail "c1: the refresh at 10:20 did not extend the grant: $(map_dump)"
log_has "alice has refreshed authentication for a 20m 0s old relay session from 192.0.2.10 x 2" ||
	fail "c1: log lacks \"... a 20m 0s old relay session from 192.0.2.10 x 2\": $(grep refreshed "$LOG")"
{
	cat "$T/c1.log"
	unrelated "Nov 23 10:51:00"
} >"$T/c2.log"
replay c2
map_lacks 192.0.2.10 || fail "c2: 192.0.2.10 still granted 31 min after the last login: $(map_dump)"

note "two clients: the first expires, the second is kept"
{
	login_line alice 192.0.2.10 "Nov 23 10:00:00"
	login_line bob 2001:db8::5 "Nov 23 10:40:00"
} >"$T/d.log"
replay d
map_lacks 192.0.2.10 || fail "d: 192.0.2.10 still granted"
map_has 2001:db8::5 || fail "d: 2001:db8::5 not granted"

note "New Year: Dec 31 23:59 -> Jan  1 00:10 (11 min): still granted"
{
	login_line alice 192.0.2.10 "Dec 31 23:59:00"
	unrelated "Jan  1 00:10:00"
} >"$T/e1.log"
replay e1
map_has 192.0.2.10 || fail "e1: grant lost across New Year after 11 min: $(map_dump)"

note "New Year: Dec 31 23:50 -> Jan  1 00:25 (35 min): expired"
{
	login_line alice 192.0.2.10 "Dec 31 23:50:00"
	unrelated "Jan  1 00:25:00"
} >"$T/e2.log"
replay e2
map_lacks 192.0.2.10 || fail "e2: grant kept 35 min across New Year: $(map_dump)"

note "RFC 3339 stamps across New Year"
{
	echo "2026-12-31T23:59:00.000000+00:00 vm dovecot: pop3-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.10, lip=$LIP, mpid=1, session=<AAAA>"
	echo "2027-01-01T00:10:00.000000+00:00 vm dovecot: pop3-login: Login: user=<bob>, method=PLAIN, rip=192.0.2.11, lip=$LIP, mpid=2, session=<AAAB>"
	echo "2027-01-01T00:35:00.000000+00:00 vm postfix/smtpd[1]: connect from unknown[203.0.113.9]"
} >"$T/f.log"
replay f
map_lacks 192.0.2.10 || fail "f: 192.0.2.10 kept 36 min"
map_has 192.0.2.11 || fail "f: 192.0.2.11 (25 min) not granted"

# both tables at the end: a hash: table is written by a child while the
# last commit runs, an lmdb: one in place by the replay itself
rbl_line() { # STAMP IP
	echo "$1 vm postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[$2]: 554 5.7.1 Service unavailable; Client host [$2] blocked using zen.example; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}
{
	login_line alice 192.0.2.10 "Nov 23 10:00:00"
	rbl_line "Nov 23 10:00:01" 198.51.100.7
	rbl_line "Nov 23 10:00:02" 2001:db8::77
} >"$T/g.log"
for mt in hash lmdb; do
	note "end of a replay, map_type = $mt: both tables hold their entries"
	MAPTYPE=$mt
	pa_conf popauth_expire=30m map_type=$mt
	replay g
	map_has 192.0.2.10 || fail "g ($mt): 192.0.2.10 not granted: $(map_dump)"
	listed 198.51.100.7 || fail "g ($mt): 198.51.100.7 not listed: $(map_dump rbl_checks)"
	listed 2001:db8::77 || fail "g ($mt): 2001:db8::77 not listed: $(map_dump rbl_checks)"
	log_has "198.51.100.7" || fail "g ($mt): the log does not name 198.51.100.7"
	if [ "$mt" = hash ]; then
		ls "$MAPDIR" | grep -q tmp && fail "g: a child's temporary table was left: $(ls "$MAPDIR")"
	fi
done
MAPTYPE=hash
pa_conf popauth_expire=30m

note "--replay - reads stdin"
rm -rf "$DATADIR" "$MAPDIR"
mkdir -p "$DATADIR" "$MAPDIR"
timeout 30 "$POPAUTHD" -c "$CONF" --replay - <"$T/c1.log" >"$T/run.out" 2>"$T/run.err" ||
	fail "--replay -: exit $?: $(tail -n 5 "$T/run.err")"
map_has 192.0.2.10 || fail "--replay -: 192.0.2.10 not granted"
exit 0
