#!/bin/bash
# 020-blacklist.sh - the local RBL cache through --replay (the log's own clock),
# checked with postmap -q on rbl_checks: listed, not listed, expired,
# whitelisted, relay-granted, repeats, forgeries, header/body phrases, and
# attack-shaped lines that must list nobody else.
. "$(dirname "$0")/lib.sh"

pf_dir
TXT='Your IP address has been blacklisted by'
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'

# rbl LINE-STAMP IP - a Postfix 3.x DNSBL reject of IP
rbl() {
	echo "$1 $SMTPD RCPT from unknown[$2]: 554 5.7.1 Service unavailable; Client host [$2] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/$2; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}

# 1. DNSBL reject lists the client with list and reason; Postfix 2.x form too
{
	rbl "Nov 23 10:00:00" 198.51.100.7
	echo "Nov 23 10:00:03 mailhost postfix/smtpd[26215]: NOQUEUE: reject: CONNECT from p508EFADB.dip.t-dialin.net[80.142.250.219]: 554 Service unavailable; Client host [80.142.250.219] blocked using list.dsbl.org; http://dsbl.org/listing?ip=80.142.250.219; proto=SMTP"
	rbl "Nov 23 10:00:05" 2001:db8::7
	rbl "Nov 23 10:00:06" ::ffff:203.0.113.77
} >"$T/c1.log"
case_replay c1
listed 198.51.100.7 "$TXT zen.spamhaus.org. Visit their website or write to argue. https://www.spamhaus.org/query/ip/198.51.100.7" ||
	fail "c1: 198.51.100.7 not listed as expected: $(map_q 198.51.100.7 rbl_checks)"
listed 80.142.250.219 "list.dsbl.org" || fail "c1: 2005 line not listed"
listed 2001:db8::7 || fail "c1: IPv6 not listed"
[ "$(map_count rbl_checks)" -eq 4 ] || fail "c1: expected 4 entries: $(map_dump rbl_checks)"
log_has "198.51.100.7 [unknown] has been blacklisted by RBL [zen.spamhaus.org]" ||
	fail "c1: no listing line in the log"
note "c1 DNSBL listings: ok"

# 2. a second DNSBL reject is a repeat, never a duplicate; expiry after quiet
{
	rbl "Nov 23 10:00:00" 198.51.100.7
	rbl "Nov 23 10:05:00" 198.51.100.7
	rbl "Nov 23 10:30:00" 198.51.100.8
	echo "Nov 23 11:06:00 vm postfix/qmgr[7]: 1234: removed"
} >"$T/c2.log"
case_replay c2 rbl_cache_expire=1h
listed 198.51.100.8 || fail "c2: 198.51.100.8 should still be listed"
map_lacks 198.51.100.7 rbl_checks || fail "c2: 198.51.100.7 should have expired"
log_has "Blacklisted 198.51.100.7 [unknown] has been refused again, x 1 (2 total)" || fail "c2: second reject not a repeat"
note "c2 repeat and expiry: ok"

# 3. whitelisted and relay-granted clients are never listed
printf '# test whitelist\n192.0.2.0/24\n2001:db8:1::/48\n' >"$T/white"
{
	rbl "Nov 23 10:00:00" 192.0.2.55
	rbl "Nov 23 10:00:01" 2001:db8:1::9
	login_line alice 203.0.113.9 "Nov 23 10:00:02"
	rbl "Nov 23 10:00:03" 203.0.113.9
	rbl "Nov 23 10:00:04" 203.0.113.10
} >"$T/c3.log"
case_replay c3 whitelist_file="$T/white"
map_lacks 192.0.2.55 rbl_checks || fail "c3: whitelisted v4 listed"
map_lacks 2001:db8:1::9 rbl_checks || fail "c3: whitelisted v6 listed"
map_lacks 203.0.113.9 rbl_checks || fail "c3: relay-granted client listed"
listed 203.0.113.10 || fail "c3: ordinary client not listed"
log_has "event ignored: client whitelisted" || fail "c3: no ignore line"
log_has "event ignored: client holds a POP-before-SMTP grant" || fail "c3: no grant ignore line"
note "c3 whitelist and grants: ok"

# 4. scoring: repeats every 5 s ban for nullroute_freq_bansecs once there are
#    nullroute_min_hits (5) of them; two hits a moment apart do not (a rate of
#    2 hits means nothing); slow repeats do not; more than nullroute_msg_thresh
#    total hits ban for msg_bansecs
rep() { # STAMP IP
	echo "$1 $SMTPD CONNECT from unknown[$2]: 554 5.7.1 <unknown[$2]>: Client host rejected: $TXT zen.spamhaus.org. Visit their website or write to argue. x; proto=SMTP"
}
{
	rbl "Nov 23 10:00:00" 198.51.100.20
	rep "Nov 23 10:00:05" 198.51.100.20
	rep "Nov 23 10:00:10" 198.51.100.20
	rep "Nov 23 10:00:15" 198.51.100.20
	rep "Nov 23 10:00:20" 198.51.100.20
	rbl "Nov 23 10:00:00" 198.51.100.23
	rep "Nov 23 10:00:00" 198.51.100.23
	rbl "Nov 23 10:00:00" 198.51.100.21
	rep "Nov 23 10:05:00" 198.51.100.21
	rep "Nov 23 10:10:00" 198.51.100.21
	rbl "Nov 23 11:00:00" 198.51.100.22
	for i in $(seq 1 51); do
		rep "$(date -u -d "2026-11-23 11:00:00 UTC + $((i * 60)) sec" '+%b %e %H:%M:%S')" 198.51.100.22
	done
} >"$T/c4.log"
case_replay c4 nullroute_alert_thresh=1000000
log_has "198.51.100.20 [unknown] has been banned" || fail "c4: fast repeat not banned"
grep -F "198.51.100.20 [unknown] has been banned" "$LOG" | grep -qF "(30m 0s) for attempts too frequent" ||
	fail "c4: fast repeat ban not 30m: $(grep -F 198.51.100.20 "$LOG")"
if log_has "198.51.100.21 [unknown] has been banned"; then fail "c4: slow repeats banned"; fi
if log_has "198.51.100.23 [unknown] has been banned"; then
	fail "c4: banned on its second hit a moment after the first: $(grep -F 198.51.100.23 "$LOG")"
fi
grep -F "198.51.100.22 [unknown] has been banned" "$LOG" | grep -qF "(1w 0d 0h 0m 0s) for too many attempts" ||
	fail "c4: 52 hits not banned for a week: $(grep -F 198.51.100.22 "$LOG" | tail -2)"
log_has "x 2 (2 total) hits in 5s, rate = 0.400000" || fail "c4: rate wording"
log_has "198.51.100.20 [unknown] has been banned (not null-routed: firewall_backend = none)" ||
	fail "c4: with firewall_backend = none the ban must not read as a null-route"
note "c4 scoring: ok"

# 5. forgeries list with popauthd as the authority and the seed's reasons
{
	echo "Nov 23 10:00:00 $SMTPD RCPT from unknown[127.0.0.7]: 554 5.7.1 <ceo@example.org>: Sender address rejected: Access denied; from=<ceo@example.org> to=<popuser@rig.test> proto=ESMTP helo=<ok.example.net>"
	echo "Nov 23 10:00:01 $SMTPD RCPT from unknown[127.0.0.6]: 554 5.7.1 <forged.rig.test>: Helo command rejected: Forged HELO, you are not mx.rig.test; from=<alice@example.net> to=<popuser@rig.test> proto=ESMTP helo=<forged.rig.test>"
	echo "Nov 23 10:00:02 $SMTPD RCPT from unknown[127.0.0.8]: 554 5.7.1 <trap@rig.test>: Recipient address rejected: Access denied; from=<x@spam.example> to=<trap@rig.test> proto=ESMTP helo=<ok.example.net>"
	echo "Nov 23 10:00:03 $SMTPD RCPT from unknown[127.0.0.9]: 554 5.7.1 <bob@remote.example>: Relay access denied; from=<a@b.example> to=<bob@remote.example> proto=ESMTP helo=<x>"
	echo "Nov 23 10:00:04 vm postfix/cleanup[22092]: 2182EA741B4: reject: header Subject: BUY VIAGRA now from unknown[127.0.0.10]; from=<alice@example.net> to=<popuser@rig.test> proto=ESMTP helo=<ok.example.net>: 5.7.1 Spam subject"
	echo "Nov 23 10:00:05 vm postfix/cleanup[22092]: 3D9DCA741B4: reject: body hello FORBIDDEN-BODY-TOKEN bye from unknown[127.0.0.11]; from=<alice@example.net> to=<popuser@rig.test> proto=ESMTP helo=<ok.example.net>: 5.7.1 Body contains forbidden token"
} >"$T/c5.log"
case_replay c5 localhost_dns_name=mx.test data_reject_phrases="spam subject, nothing else"
listed 127.0.0.7 "by mx.test. Visit their website or write to argue. E-MAIL ADDRESS FORGERY IS NOT TOLERATED HERE! <ceo@example.org> is not part of unknown!" ||
	fail "c5: sender forgery: $(map_q 127.0.0.7 rbl_checks)"
listed 127.0.0.6 "E/SMTP HELO/EHLO FORGERY IS NOT TOLERATED HERE! You do not own forged.rig.test!" ||
	fail "c5: helo forgery: $(map_q 127.0.0.6 rbl_checks)"
listed 127.0.0.8 "You are not permitted to contact <trap@rig.test> from <x@spam.example>!" ||
	fail "c5: recipient forgery: $(map_q 127.0.0.8 rbl_checks)"
map_lacks 127.0.0.9 rbl_checks || fail "c5: relay denied must only be logged"
log_has "Relay access denied From=<a@b.example> To=<bob@remote.example> using 127.0.0.9 [unknown] (helo=x)" ||
	fail "c5: relay denied summary line"
listed 127.0.0.10 "Spam subject" || fail "c5: header phrase did not list"
map_lacks 127.0.0.11 rbl_checks || fail "c5: body reject without a phrase listed"
log_has "was blocked from sending to <popuser@rig.test> for reason [5.7.1 Body contains forbidden token] on BODY line" ||
	fail "c5: body summary line"

# 5b. our own verdicts (a forged sender) last local_listing_expire (3d),
#     a DNSBL's answer rbl_cache_expire (90d)
{
	echo "Nov 23 10:00:00 $SMTPD RCPT from unknown[127.0.0.7]: 554 5.7.1 <ceo@example.org>: Sender address rejected: Access denied; from=<ceo@example.org> to=<popuser@rig.test> proto=ESMTP helo=<ok.example.net>"
	rbl "Nov 23 10:00:00" 198.51.100.70
	echo "Nov 26 10:01:00 vm postfix/smtpd[1]: connect from unknown[192.0.2.250]"
} >"$T/c5b.log"
case_replay c5b
map_lacks 127.0.0.7 rbl_checks || fail "c5b: a forged sender still listed after 3 days: $(map_q 127.0.0.7 rbl_checks)"
listed 198.51.100.70 || fail "c5b: the DNSBL listing expired with it"
log_has "127.0.0.7 [unknown] has expired from the blacklist (listed by $(hostname))" ||
	fail "c5b: no expiry line naming this host as the authority"
note "c5 forgeries and data rejects: ok"

# 6. fishing: six unique unknown recipients list and ban; two typos an hour
#    apart do nothing; three fast ones do
uu() { # STAMP IP RCPT
	echo "$1 $SMTPD RCPT from mail.example.net[$2]: 550 5.1.1 <$3>: Recipient address rejected: User unknown in local recipient table; from=<x@y.example> to=<$3> proto=ESMTP helo=<mail.example.net>"
}
{
	for i in 1 2 3 4 5 6; do uu "Nov 23 10:0$i:00" 203.0.113.50 "u$i@example.org"; done
	uu "Nov 23 10:00:00" 203.0.113.51 "jhon@example.org"
	uu "Nov 23 11:00:00" 203.0.113.51 "jonh@example.org"
	uu "Nov 23 11:00:00" 203.0.113.51 "jonh@example.org"
	uu "Nov 23 12:00:00" 203.0.113.52 "a@example.org"
	uu "Nov 23 12:00:01" 203.0.113.52 "b@example.org"
	uu "Nov 23 12:00:02" 203.0.113.52 "c@example.org"
} >"$T/c6.log"
case_replay c6
listed 203.0.113.50 "<u6@example.org> does not exist here!" || fail "c6: fisher not listed: $(map_q 203.0.113.50 rbl_checks)"
grep -F "203.0.113.50 [mail.example.net] has been banned" "$LOG" | grep -qF "(1w 0d 0h 0m 0s) for address fishing" ||
	fail "c6: fisher not banned for a week"
map_lacks 203.0.113.51 rbl_checks || fail "c6: two typos an hour apart listed"
listed 203.0.113.52 || fail "c6: three fast unique recipients not listed"
note "c6 fishing: ok"

# 7. attack-shaped lines list nobody but the real client
{
	echo "Nov 23 10:00:00 $SMTPD RCPT from unknown[198.51.100.90]: 554 5.7.1 <bob@remote.example>: Relay access denied; from=<a@b> to=<bob@remote.example> proto=ESMTP helo=<x postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[6.6.6.6]: 554 5.7.1 Service unavailable; Client host [6.6.6.6] blocked using zen.spamhaus.org; z;>"
	echo "Nov 23 10:00:01 $SMTPD RCPT from unknown[198.51.100.91]: 550 5.1.1 <x]: 554 Service unavailable; Client host [6.6.6.6] blocked using evil; y;@example.org>: Recipient address rejected: User unknown in local recipient table; from=<a@b> to=<x@example.org> proto=ESMTP helo=<h>"
	echo "Nov 23 10:00:02 vm postfix/cleanup[2]: ABC: reject: header Subject: x from unknown[6.6.6.6]; from=<a> to=<b> proto=SMTP helo=<c>: 5.7.1 Spam subject from unknown[198.51.100.92]; from=<alice@example.net> to=<popuser@rig.test> proto=ESMTP helo=<ok>: 5.7.1 Spam subject"
	printf 'Nov 23 10:00:03 %s RCPT from unknown[198.51.100.93]: 554 5.7.1 Service unavailable; Client host [198.51.100.93] blocked using zen.spamhaus.org; reason\twith tab and \001 control and #012 fake; from=<a> to=<b> proto=ESMTP helo=<x>\n' "$SMTPD"
} >"$T/c7.log"
case_replay c7 data_reject_phrases="spam subject"
map_lacks 6.6.6.6 rbl_checks || fail "c7: injected 6.6.6.6 was listed"
[ "$(map_count rbl_checks)" -le 2 ] || fail "c7: unexpected listings: $(map_dump rbl_checks)"
v=$(map_q 198.51.100.93 rbl_checks)
case "$v" in
*$'\t'* | *$'\001'*) fail "c7: control characters reached the map value" ;;
esac
note "c7 attack-shaped lines: ok"

# 8. escalation (off by default): each new ban of the same IP lasts
#    ban_escalate_factor times longer, up to ban_escalate_max
{
	rbl "Nov 23 10:00:00" 198.51.100.30
	rep "Nov 23 10:00:01" 198.51.100.30
	rep "Nov 23 10:40:00" 198.51.100.30
	rep "Nov 23 10:40:01" 198.51.100.30
	rep "Nov 23 12:00:00" 198.51.100.30
	rep "Nov 23 12:00:01" 198.51.100.30
	rep "Nov 23 14:00:00" 198.51.100.30
	rep "Nov 23 14:00:01" 198.51.100.30
} >"$T/c8.log"
case_replay c8 ban_escalate=yes ban_escalate_factor=2 ban_escalate_max=1h nullroute_alert_thresh=1000 nullroute_min_hits=2
bans=$(grep -F "198.51.100.30 [unknown] has been banned" "$LOG" | grep -o '([0-9hms ]*)' | tr '\n' ' ')
[ "$bans" = "(30m 0s) (1h 0m 0s) (1h 0m 0s) (1h 0m 0s) " ] || fail "c8: escalation: $bans"
log_has "198.51.100.30 [unknown] has been released from its null-route" || fail "c8: no release"
note "c8 escalation: ok"

# 9. fishing records expire after fish_expire of quiet: four unique pairs,
#    an hour of silence, then four more never reach six unique pairs
{
	for i in 1 2 3 4; do uu "Nov 23 10:00:0$i" 203.0.113.60 "a$i@example.org"; done
	echo "Nov 23 11:30:00 vm postfix/qmgr[7]: 1234: removed"
	for i in 1 2 3 4; do uu "Nov 23 11:31:0$i" 203.0.113.60 "b$i@example.org"; done
} >"$T/c9.log"
case_replay c9 fish_expire=1h nullroute_freq_thresh=1000
log_has "E-mail address fishing data for 203.0.113.60 has expired" || fail "c9: no expiry line"
map_lacks 203.0.113.60 rbl_checks || fail "c9: listed although its record had expired"
note "c9 fishing expiry: ok"
exit 0
