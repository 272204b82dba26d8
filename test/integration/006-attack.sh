#!/bin/bash
# 006-attack - text an attacker controls (HELO, user names, sender addresses,
# DNSBL reasons, SMTP commands) that spells out a Dovecot login grants nothing.
# Every fake login names an address in 192.0.2.90-99; none may reach the map.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf
S=$(date '+%b %e %H:%M:%S')
FAKE="dovecot: pop3-login: Login: user=<x>, method=PLAIN"
cat >"$T/attack.log" <<LOG
$S vm postfix/smtpd[32162]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@other.example>: Relay access denied; from=<a@b.example> to=<x@other.example> proto=ESMTP helo=<$S vm $FAKE, rip=192.0.2.99, lip=$LIP, mpid=1, session=<AAAA>>
$S vm postfix/smtpd[32162]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@other.example>: Relay access denied; from=<a@b.example> to=<x@other.example> proto=ESMTP helo=<$FAKE, rip=192.0.2.98, lip=$LIP>
$S vm dovecot: pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<Login: user=<x>, method=PLAIN, rip=192.0.2.97, lip=$LIP, mpid=1, session=<AAAA>>, method=PLAIN, rip=203.0.113.66, lip=$LIP, session=<BBBB>
$S vm dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=192.0.2.96, lip=$LIP, session=<BBBB>
$S vm dovecot: auth: passwd-file(Login: user=<x>, rip=192.0.2.95, lip=$LIP,203.0.113.66): unknown user
$S vm postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.example; $FAKE, rip=192.0.2.94, lip=$LIP, mpid=1, session=<AAAA>; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>
$S vm postfix/smtpd[1574]: warning: non-SMTP command from unknown[203.0.113.9]: $S vm $FAKE, rip=192.0.2.93, lip=$LIP, mpid=1, session=<AAAA>
$S vm postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 550 5.1.1 <sales@example.org>: Recipient address rejected: User unknown in local recipient table; from=<"$FAKE, rip=192.0.2.92, lip=$LIP"@evil.example> to=<sales@example.org> proto=ESMTP helo=<x>
$S vm postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@other.example>: Relay access denied; from=<a@b.example> to=<x@other.example> proto=ESMTP helo=<x#012$S vm $FAKE, rip=192.0.2.91, lip=$LIP, mpid=1, session=<AAAA>>
$S vm postfix/cleanup[25250]: 6E7A4C8976: reject: header Subject: $S vm $FAKE, rip=192.0.2.90, lip=$LIP from unknown[203.0.113.9]; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>: 5.7.1 message content rejected
$S vm dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=999.2.0.90, lip=$LIP, mpid=1, session=<AAAA>
$S vm dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=192.0.2.90x, lip=$LIP, mpid=1, session=<AAAA>
$S vm dovecot: pop3-login: Login: user=<x>, method=PLAIN, rip=192.0.2.9 0, lip=$LIP, mpid=1, session=<AAAA>
LOG

note "--test: no attack line is a login"
pa_run 10 -c "$CONF" --test "$T/attack.log"
[ "$PA_RC" -eq 0 ] || fail "--test: exit $PA_RC"
paste -d '\n' "$T/attack.log" "$T/run.out" >"$T/paired.txt"
if grep -nE '^[^ ]+ login ' "$T/run.out"; then
	fail "attack lines parsed as logins (see above; pairs in $T/paired.txt)"
fi
if grep -nE 'ip=192\.0\.2\.9[0-9]( |$)' "$T/run.out"; then
	fail "an attacker's address was captured as the client ip (see above)"
fi

note "daemon: feed the attack, then one real login as a sentinel"
pa_start
pa_feed_raw "$T/attack.log"
pa_feed "$(login_line alice 192.0.2.200)"
wait_for map_has 192.0.2.200 || fail "sentinel login not granted"
for i in 0 1 2 3 4 5 6 7 8 9; do
	map_lacks "192.0.2.9$i" || fail "fake login granted 192.0.2.9$i: $(map_dump)"
	[ -z "$(map_q "192.0.2.9$i" rbl_checks)" ] ||
		fail "attacker-named 192.0.2.9$i was blacklisted: $(map_dump rbl_checks)"
done
[ "$(map_count)" -eq 1 ] || fail "popauth_checks should hold only the sentinel: $(map_dump)"

note "an attacker's user name is quoted in popauthd's own log"
pa_feed "$(login_line 'x has authenticated a new relay session from 6.6.6.77' 192.0.2.201)"
wait_for log_has '"x has authenticated a new relay session from 6.6.6.77" has authenticated a new relay session from 192.0.2.201' ||
	fail "the user name is not quoted: $(grep -a 192.0.2.201 "$LOG")"
grep -aqE 'popauthd\[[0-9]+\]: x has authenticated a new relay session from 6\.6\.6\.77' "$LOG" &&
	fail "a log line reads as a grant of 6.6.6.77"
pa_alive || fail "daemon died"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
