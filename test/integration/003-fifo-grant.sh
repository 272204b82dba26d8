#!/bin/bash
# 003-fifo-grant - the daemon on a real FIFO: a Dovecot login makes Postfix's
# lookup (postmap -q) answer OK promptly, for IPv4, IPv6 (compressed key) and
# v4-mapped (IPv4 key); the grant goes away at popauth_expire; the log file
# uses the seed's wording.
. "$(dirname "$0")/lib.sh"

pf_dir
MAXMS=${PA_LATENCY_MAX_MS:-500}

note "start; FIFO mode 0600, maps created empty and valid"
pa_conf popauth_expire=30m
pa_start
[ -p "$FIFO" ] || fail "$FIFO is not a FIFO"
[ "$(stat -c %a "$FIFO")" = 600 ] || fail "FIFO mode is $(stat -c %a "$FIFO"), want 600"
map_valid popauth_checks || fail "popauth_checks.db is not a valid table at start"
map_valid rbl_checks || fail "rbl_checks.db is not a valid table at start"
[ "$(map_count)" -eq 0 ] || fail "popauth_checks is not empty at start: $(map_dump)"
map_lacks 192.0.2.10 || fail "192.0.2.10 is granted before any login"

note "IPv4 login"
pa_feed "$(login_line alice@example.org 192.0.2.10)"
wait_for map_has 192.0.2.10 || fail "192.0.2.10 not granted: $(map_dump)"
note "granted after ${WAITED_MS} ms"
[ "$WAITED_MS" -le "$MAXMS" ] || fail "grant took ${WAITED_MS} ms (limit $MAXMS)"
wait_for log_has "alice@example.org has authenticated a new relay session from 192.0.2.10" ||
	fail "log lacks the new-session line"

note "IPv6 login: the compressed lower-case key"
pa_feed "$(login_line bob 2001:db8::5)"
wait_for map_has 2001:db8::5 || fail "2001:db8::5 not granted: $(map_dump)"
pa_feed "$(login_line bob6 2001:DB8:0:0:0:0:0:6)"
wait_for map_has 2001:db8::6 || fail "2001:DB8:0:0:0:0:0:6 not granted as 2001:db8::6: $(map_dump)"
map_dump | grep -q '^2001:db8::6[[:space:]]' ||
	fail "stored key is not the compressed lower-case form: $(map_dump)"

note "v4-mapped login: the IPv4 key"
pa_feed "$(login_line carol ::ffff:192.0.2.12)"
wait_for map_has 192.0.2.12 || fail "::ffff:192.0.2.12 not granted as 192.0.2.12: $(map_dump)"
map_dump | grep -qi 'ffff' && fail "a ::ffff: key was stored: $(map_dump)"

note "RFC 3339 stamp"
pa_feed "$(date -u '+%Y-%m-%dT%H:%M:%S.123456+00:00') vm dovecot: imap-login: Login: user=<dave>, method=PLAIN, rip=198.51.100.7, lip=$LIP, mpid=4330, TLS, session=<k3Yz0Q0b2O/LAQ0F>"
wait_for map_has 198.51.100.7 || fail "RFC 3339 login not granted: $(map_dump)"

note "repeat login refreshes, with the seed's wording, without a map rewrite"
sleep 0.1	# let any pending rewrite (map_flush_delay 50ms) finish first
ino=$(stat -c %i "$MAPDIR/popauth_checks.db")
pa_feed "$(login_line alice@example.org 192.0.2.10)"
wait_for -t 5 grep -qE 'alice@example\.org has refreshed authentication for a [0-9wdhms ]+ old relay session from 192\.0\.2\.10 x 2' "$LOG" ||
	fail "log lacks the refresh line"
map_has 192.0.2.10 || fail "192.0.2.10 lost by the refresh"
same_inode() { [ "$(stat -c %i "$MAPDIR/popauth_checks.db")" = "$ino" ]; }
stay_for 1 same_inode ||
	fail "a refresh rewrote popauth_checks.db (smtpd would restart for nothing)"
[ "$(map_count)" -eq 5 ] || fail "want 5 grants, have: $(map_dump)"

note "a junk line grants nothing and the next login still works"
pa_feed "not a log line" "$(login_line erin 192.0.2.13)"
wait_for map_has 192.0.2.13 || fail "login after junk not granted"

pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "expiry: popauth_expire = 2s"
pa_conf popauth_expire=2s
pa_start
pa_feed "$(login_line frank 192.0.2.20)"
wait_for map_has 192.0.2.20 || fail "192.0.2.20 not granted"
t0=$(now_ms)
wait_for -t 15 map_lacks 192.0.2.20 || fail "192.0.2.20 still granted 15 s after a 2 s expiry: $(map_dump)"
held=$(($(now_ms) - t0))
note "grant held ${held} ms"
[ "$held" -ge 900 ] || fail "grant removed after ${held} ms, before its 2 s expiry"
[ "$held" -le 6000 ] || fail "grant removed only after ${held} ms (expiry 2 s)"
wait_for log_has "Relay authorization for 192.0.2.20 has expired and has been removed" ||
	fail "log lacks the expiry line"
map_valid || fail "map is not a valid table after expiry"
pa_alive || fail "daemon died"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
