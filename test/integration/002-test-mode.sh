#!/bin/bash
# 002-test-mode - --test prints "RULE KIND field=value ..." or "-" per input
# line, from a file or stdin, and creates no FIFO, map, state or pid file.
. "$(dirname "$0")/lib.sh"

pa_conf
S="Nov 23 06:05:52"
cat >"$T/in.log" <<LOG
$S vm dovecot: pop3-login: Login: user=<popuser>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, mpid=21631, session=<gOKkYutgQep/AAAC>
2026-11-23T06:05:52.123456+00:00 vm dovecot: pop3-login: Login: user=<alice@example.org>, method=PLAIN, rip=192.0.2.11, lip=192.0.2.1, mpid=21632, secured, session=<HdWyeOtg+5Z/AAAC>
hello world, this is no log line
$S vm dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=2001:db8::5, lip=2001:db8::1, mpid=4330, TLS, session=<k3Yz0Q0b2O/LAQ0F>

$S vm dovecot: pop3-login: Login: user=<carol>, method=PLAIN, rip=::ffff:192.0.2.12, lip=::ffff:192.0.2.1, mpid=4331, session=<k3Yz0Q0b2O/LAQ0G>
$S vm dovecot: pop3-login: Aborted login (auth failed, 3 attempts in 12 secs): user=<mallory>, method=PLAIN, rip=192.0.2.66, lip=192.0.2.1, session=<k3Yz0Q0b2O/LAQ0H>
$S vm postfix/smtpd[32162]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@other.example>: Relay access denied; from=<a@b.example> to=<x@other.example> proto=ESMTP helo=<$S vm dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=192.0.2.99, lip=192.0.2.1, mpid=1, session=<AAAA>>
$S vm kernel: [12345.678] dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=192.0.2.98, lip=192.0.2.1, mpid=1, session=<AAAA>
LOG
nin=$(wc -l <"$T/in.log")

check_output() {
	local out=$1 n
	n=$(wc -l <"$out")
	[ "$n" -eq "$nin" ] || fail "--test printed $n lines for $nin input lines: $(cat "$out")"
	sed -n 1p "$out" | grep -qE '^[A-Za-z0-9_.-]+ login ip=192\.0\.2\.10( |$)' ||
		fail "line 1: $(sed -n 1p "$out")"
	sed -n 1p "$out" | grep -qE ' user=popuser( |$)' || fail "line 1 lacks user=popuser: $(sed -n 1p "$out")"
	sed -n 2p "$out" | grep -qE '^[A-Za-z0-9_.-]+ login ip=192\.0\.2\.11( |$)' ||
		fail "line 2 (RFC 3339): $(sed -n 2p "$out")"
	sed -n 2p "$out" | grep -qE 'alice' || fail "line 2 lacks the user: $(sed -n 2p "$out")"
	[ "$(sed -n 3p "$out")" = - ] || fail "line 3 (junk): $(sed -n 3p "$out")"
	sed -n 4p "$out" | grep -qE '^[A-Za-z0-9_.-]+ login ip=2001:db8::5( |$)' ||
		fail "line 4 (IPv6): $(sed -n 4p "$out")"
	[ "$(sed -n 5p "$out")" = - ] || fail "line 5 (empty): $(sed -n 5p "$out")"
	sed -n 6p "$out" | grep -qE '^[A-Za-z0-9_.-]+ login ip=192\.0\.2\.12( |$)' ||
		fail "line 6 (v4-mapped): $(sed -n 6p "$out")"
	sed -n 7p "$out" | grep -qE '^[^ ]+ login ' && fail "line 7 (failed login) is a login: $(sed -n 7p "$out")"
	sed -n 8p "$out" | grep -qE '^[^ ]+ login |192\.0\.2\.99' &&
		fail "line 8 (login inside helo) grants: $(sed -n 8p "$out")"
	[ "$(sed -n 9p "$out")" = - ] || fail "line 9 (kernel tag) matched: $(sed -n 9p "$out")"
	return 0
}

note "--test FILE"
pa_run 10 -c "$CONF" --test "$T/in.log"
[ "$PA_RC" -eq 0 ] || fail "--test FILE: exit $PA_RC: $(cat "$T/run.err")"
cp "$T/run.out" "$T/file.out"
check_output "$T/file.out"
cat "$T/file.out"

note "--test - (stdin) gives the same"
timeout 10 "$POPAUTHD" -c "$CONF" --test - <"$T/in.log" >"$T/stdin.out" 2>"$T/run.err" ||
	fail "--test -: exit $?: $(cat "$T/run.err")"
cmp -s "$T/file.out" "$T/stdin.out" || fail "stdin output differs: $(diff "$T/file.out" "$T/stdin.out")"

note "a last line without a newline is still tested"
printf '%s' "$(sed -n 1p "$T/in.log")" >"$T/nonl.log"
pa_run 10 -c "$CONF" --test "$T/nonl.log"
grep -qE '^[^ ]+ login ip=192\.0\.2\.10' "$T/run.out" || fail "unterminated last line: $(cat "$T/run.out")"

note "no state was touched"
[ ! -e "$FIFO" ] || fail "--test created the FIFO"
[ ! -e "$PIDFILE" ] || fail "--test wrote a pid file"
[ -z "$(ls -A "$MAPDIR")" ] || fail "--test wrote into map_directory: $(ls -A "$MAPDIR")"
[ -z "$(ls -A "$DATADIR")" ] || fail "--test wrote into data_directory: $(ls -A "$DATADIR")"

note "a missing input file is an error"
pa_run 10 -c "$CONF" --test "$T/nonexistent.log"
[ "$PA_RC" -ne 0 ] || fail "--test on a missing file: exit 0"
exit 0
