#!/bin/bash
# 043-greytrap.sh - greylist-tuple traps through --replay (no DNS, no
# checker under replay), checked with postmap -q on rbl_checks: a malformed
# sender, too many sender domains, a high unique-sender ratio, a trap regex;
# a mailing list (one sender, many recipients) and retries of one tuple are
# not trapped; greytrap_ban bans; whitelisted clients are never tracked.
. "$(dirname "$0")/lib.sh"

pf_dir

# replay_nodns NAME [name=value...] - case_replay without DNS checks
replay_nodns() {
	local n=$1
	shift
	case_replay "$n" greytrap_dns_parallel=0 "$@"
}
grey() { # SEC IP FROM TO - a postgrey reject as Postfix logs it
	echo "Nov 23 10:00:$1 mx postfix/smtpd[1574]: NOQUEUE: reject: RCPT from unknown[$2]: 450 4.2.0 <$4>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/rig.test.html; from=<$3> to=<$4> proto=ESMTP helo=<x.example>"
}

{
	grey 00 198.51.100.60 'a@@b.example' u@rig.test
	grey 01 198.51.100.61 '' postmaster@rig.test
	for i in 1 2 3 4 5 6; do grey 0$i 198.51.100.62 "s$i@d$i.example" "u$i@rig.test"; done
	for i in 1 2 3 4 5 6; do grey 0$i 198.51.100.63 "s$i@one.example" "u$i@rig.test"; done
	for i in 1 2 3 4 5 6 7 8; do grey 0$i 198.51.100.64 "news@list.example" "u$i@rig.test"; done
	for i in 1 2 3 4 5 6 7 8; do grey 0$i 198.51.100.65 "same@one.example" "same@rig.test"; done
	grey 10 198.51.100.66 "x@ok.example" "OldUser@OldMailServer.rig.test"
	grey 11 192.0.2.66 'bad@@x' u@rig.test
} >"$T/c1.log"
printf '192.0.2.0/24\n' >"$T/white"
replay_nodns c1 'greytrap_trap_regex=@oldmailserver\.rig\.test$ ^nobody@' whitelist_file="$T/white"
listed 198.51.100.60 "Invalid source address a@@b.example" || fail "c1: malformed sender: $(map_q 198.51.100.60 rbl_checks)"
map_lacks 198.51.100.61 rbl_checks || fail "c1: the null sender was trapped"
listed 198.51.100.62 "Host sending from 6 domains (> 3)" || fail "c1: domains: $(map_q 198.51.100.62 rbl_checks)"
listed 198.51.100.63 "Senders/Tuples ratio is 6/6 senders/tuples (> 0.75)" || fail "c1: ratio: $(map_q 198.51.100.63 rbl_checks)"
map_lacks 198.51.100.64 rbl_checks || fail "c1: a mailing list was trapped"
map_lacks 198.51.100.65 rbl_checks || fail "c1: retries of one tuple were trapped"
listed 198.51.100.66 "Mailed to trap address OldUser@OldMailServer.rig.test" || fail "c1: trap regex (caseless)"
map_lacks 192.0.2.66 rbl_checks || fail "c1: whitelisted client trapped"
log_has "Trapped 198.51.100.62: Host sending from 6 domains (> 3)" || fail "c1: no 'Trapped' line"
[ "$(grep -c 'has been blacklisted' "$LOG")" -eq 4 ] || fail "c1: a client was trapped twice or too many"
if log_has "has been banned"; then fail "c1: banned with greytrap_ban = no"; fi
note "c1 traps: ok"

# 2. thresholds per family, ban
cp "$T/c1.log" "$T/c2.log"
replay_nodns c2 greytrap_suspect_tuples=7 greytrap_ban=yes greytrap_bansecs=2h
map_lacks 198.51.100.62 rbl_checks || fail "c2: 6 tuples trapped with greytrap_suspect_tuples = 7"
listed 198.51.100.60 || fail "c2: malformed sender not trapped"
grep -F "198.51.100.60 [unknown] has been banned" "$LOG" | grep -qF "(2h 0m 0s)" || fail "c2: not banned for 2h"
note "c2 thresholds and ban: ok"

# 3. tuples survive a restart: 3 + 3 tuples of one client
{ for i in 1 2 3; do grey 0$i 198.51.100.67 "s$i@d$i.example" "u$i@rig.test"; done; } >"$T/c3.log"
{ for i in 4 5 6; do grey 0$i 198.51.100.67 "s$i@d$i.example" "u$i@rig.test"; done; } >"$T/c3b.log"
replay_nodns c3
pa_run 60 -c "$CONF" --replay "$T/c3b.log"
listed 198.51.100.67 "Host sending from 6 domains" || fail "c3: tuples lost over a restart"
note "c3 persistence: ok"

# 4. greytrap = no: nothing is tracked
cp "$T/c1.log" "$T/c4.log"
replay_nodns c4 greytrap=no
[ "$(map_count rbl_checks)" -eq 0 ] || fail "c4: trapped with greytrap = no: $(map_dump rbl_checks)"
note "c4 greytrap = no: ok"
exit 0
