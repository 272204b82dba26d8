#!/bin/bash
# 040-sendmail.sh - sendmail rejects through --replay (the log's own clock),
# checked with postmap -q on rbl_checks: spamcop-style 553 rejects list once
# and ban (seed 003), other check_* rejects are only logged, "User unknown"
# rejects that name the client ban after more than sendmail_unknown_thresh
# offenses (seed 000), plain "User unknown" lines are never correlated under
# --replay, and whitelisted clients are never listed.
. "$(dirname "$0")/lib.sh"

pf_dir

spamcop() { # STAMP IP [CODE] - seed 003's check_relay reject
	echo "$1 ns1 sendmail[26040]: ruleset=check_relay, arg1=[$2], arg2=127.0.0.2, relay=[$2], reject=${3:-553} 5.3.0 Mail Rejected: http://spamcop.net/bl.shtml?$2"
}

rcpt_unknown() { # STAMP IP RCPT - a check_rcpt reject saying User unknown
	echo "$1 mx sm-mta[6530]: 5ANAF4Qx006530: ruleset=check_rcpt, arg1=<$3>, relay=guesser.example [$2], reject=550 5.1.1 <$3>... User unknown"
}

# 1. spamcop rejects: listed once with spamcop.net and the reply, banned for
#    spamcop_bansecs; the second reject is remembered, not a repeat
{
	spamcop "Oct  9 01:50:13" 123.123.123.123
	spamcop "Oct  9 01:50:20" 123.123.123.123
	spamcop "Oct  9 01:51:00" 2001:db8::53
	echo "Oct  9 01:52:00 ns1 sm-mta[24423]: ruleset=check_relay, arg1=host.example.net, arg2=198.51.100.8, relay=host.example.net [198.51.100.8] (may be forged), reject=421 4.3.2 Connection rate limit exceeded."
	spamcop "Oct  9 01:53:00" 198.51.100.9 550
} >"$T/c1.log"
case_replay c1
listed 123.123.123.123 "blacklisted by spamcop.net. Visit their website or write to argue. 553 5.3.0 Mail Rejected: http://spamcop.net/bl.shtml?123.123.123.123" ||
	fail "c1: spamcop reject not listed: $(map_q 123.123.123.123 rbl_checks)"
listed 2001:db8::53 || fail "c1: IPv6 spamcop reject not listed"
grep -F "123.123.123.123 [unknown] has been banned" "$LOG" | grep -qF "(12w 6d 0h 0m 0s)" ||
	fail "c1: spamcop client not banned for 90d"
if log_has "Blacklisted 123.123.123.123 [unknown] has been refused again"; then
	fail "c1: second spamcop reject counted as a repeat"
fi
[ "$(grep -cF '123.123.123.123 [unknown] has been blacklisted' "$LOG")" -eq 1 ] ||
	fail "c1: listed more than once"
map_lacks 198.51.100.8 rbl_checks || fail "c1: rate-limit reject listed"
map_lacks 198.51.100.9 rbl_checks || fail "c1: 550 reject listed (not a spamcop code)"
log_has "198.51.100.8 [host.example.net] rejected by sendmail check_relay: 421 4.3.2" ||
	fail "c1: other reject not logged"
[ "$(map_count rbl_checks)" -eq 2 ] || fail "c1: expected 2 entries: $(map_dump rbl_checks)"
note "c1 spamcop rejects: ok"

# 2. spamcop_ban = no lists without a ban; other codes are configurable
cp "$T/c1.log" "$T/c2.log"
case_replay c2 spamcop_ban=no spamcop_reject_codes="553, 550" spamcop_list=bl.spamcop.net
listed 123.123.123.123 "blacklisted by bl.spamcop.net." || fail "c2: not listed"
listed 198.51.100.9 || fail "c2: 550 not listed with spamcop_reject_codes = 553, 550"
if log_has "has been banned"; then fail "c2: banned with spamcop_ban = no"; fi
note "c2 spamcop_ban = no: ok"

# 3. User unknown with the client named: more than 3 offenses ban for 3h;
#    3 offenses do nothing; offenses expire after sendmail_unknown_expire
{
	for i in 1 2 3 4; do rcpt_unknown "Nov 23 10:00:0$i" 203.0.113.40 "guess$i@example.org"; done
	for i in 1 2 3; do rcpt_unknown "Nov 23 10:00:0$i" 203.0.113.41 "typo$i@example.org"; done
	rcpt_unknown "Nov 23 10:00:00" 203.0.113.42 a@example.org
	rcpt_unknown "Nov 23 10:00:01" 203.0.113.42 b@example.org
	rcpt_unknown "Nov 23 10:00:02" 203.0.113.42 c@example.org
	rcpt_unknown "Nov 26 10:00:10" 203.0.113.42 d@example.org
} >"$T/c3.log"
case_replay c3
listed 203.0.113.40 "SMTP USER NAME GUESSING IS NOT TOLERATED HERE! 4 unknown recipients, the latest <guess4@example.org>!" ||
	fail "c3: guesser not listed: $(map_q 203.0.113.40 rbl_checks)"
grep -F "203.0.113.40 [guesser.example] has been banned" "$LOG" | grep -qF "(3h 0m 0s)" ||
	fail "c3: guesser not banned for 3h"
map_lacks 203.0.113.41 rbl_checks || fail "c3: three offenses listed"
map_lacks 203.0.113.42 rbl_checks || fail "c3: expired offenses counted"
log_has "sendmail User unknown offenses of 203.0.113.42 have expired" || fail "c3: no expiry line"
note "c3 User unknown with client: ok"

# 4. thresholds per rule family; whitelisted clients never count
printf '203.0.113.41/32\n' >"$T/white"
cp "$T/c3.log" "$T/c4.log"
case_replay c4 sendmail_unknown_thresh=1 sendmail_unknown_bansecs=1h whitelist_file="$T/white"
grep -F "203.0.113.40 [guesser.example] has been banned" "$LOG" | grep -qF "(1h 0m 0s)" ||
	fail "c4: sendmail_unknown_bansecs = 1h not used"
log_has "2 unknown recipients, the latest <guess2@example.org>" || fail "c4: threshold 1 not used"
map_lacks 203.0.113.41 rbl_checks || fail "c4: whitelisted client listed"
log_has "203.0.113.41: sm_user_unknown event ignored: client whitelisted" || fail "c4: no ignore line"
note "c4 thresholds and whitelist: ok"

# 5. plain "User unknown" lines name no client: never correlated in a replay
#    (the PIDs are gone or reused), even when the PID is alive now
{
	for i in 1 2 3 4 5; do
		echo "Nov 23 10:00:0$i mx sm-mta[$$]: 5ANAF4Qx00653$i: <nosuch$i@example.org>... User unknown"
	done
} >"$T/c5.log"
case_replay c5 log_debug=yes sendmail_listen=1
[ "$(map_count rbl_checks)" -eq 0 ] || fail "c5: listed from a replay: $(map_dump rbl_checks)"
log_has "no /proc correlation under --replay" || fail "c5: no debug line"
note "c5 plain User unknown under replay: ok"

# 6. offenses survive a restart (state table "sendmail")
{
	for i in 1 2; do rcpt_unknown "Nov 23 10:00:0$i" 203.0.113.43 "g$i@example.org"; done
} >"$T/c6a.log"
{
	for i in 3 4; do rcpt_unknown "Nov 23 10:00:0$i" 203.0.113.43 "g$i@example.org"; done
} >"$T/c6b.log"
case_replay c6a
pa_run 60 -c "$CONF" --replay "$T/c6b.log"
[ "$PA_RC" -eq 0 ] || fail "c6: second replay exited $PA_RC"
listed 203.0.113.43 "4 unknown recipients" || fail "c6: offenses lost over a restart: $(map_q 203.0.113.43 rbl_checks)"
note "c6 persistence: ok"
exit 0
