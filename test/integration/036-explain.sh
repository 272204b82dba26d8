#!/bin/bash
# 036-explain - popauthctl explain IP: the log lines behind an address's
# records, in order, each with its rule, event and decision (listed, score,
# banned until, escalated ban, granted, refreshed, whitelist and grant
# protection), then what holds now; kept in the state with the records, so
# it reads the same offline, after a restart and after kill -9.
. "$(dirname "$0")/lib.sh"

pf_dir
need jq
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
ctl() { "$CTL" -c "$CONF" "$@"; }
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'
rbl() { # STAMP IP - a Postfix 3.x DNSBL reject
	echo "$1 $SMTPD RCPT from unknown[$2]: 554 5.7.1 Service unavailable; Client host [$2] blocked using zen.spamhaus.org; r-$2; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}
at() { date -d "@$(($(date +%s) - $1))" '+%b %e %H:%M:%S'; } # SECS ago
# in_order FILE PATTERN... - each pattern matches a later line than the last
in_order() {
	local f=$1 n=0 m
	shift
	for p in "$@"; do
		m=$(grep -nE -- "$p" "$f" | awk -F: -v n="$n" '$1 > n { print $1; exit }')
		[ -n "$m" ] || { echo "not in order: $p"; return 1; }
		n=$m
	done
}

printf '192.0.2.0/24\n' >"$T/white"
{
	# a listing, a ban for frequency, a second ban escalated (2m -> 4m)
	rbl "$(at 1200)" 198.51.100.7
	rbl "$(at 1199)" 198.51.100.7
	rbl "$(at 900)" 198.51.100.7
	rbl "$(at 899)" 198.51.100.7
	# a grant, a reject it protects, a refresh
	login_line alice 203.0.113.9 "$(at 600)"
	rbl "$(at 599)" 203.0.113.9
	login_line alice 203.0.113.9 "$(at 300)"
	# a whitelisted client's login, then a reject the whitelist protects
	login_line bob 192.0.2.55 "$(at 200)"
	rbl "$(at 199)" 192.0.2.55
	# noise for nobody we ask about
	rbl "$(at 100)" 198.51.100.8
} >"$T/story.log"
case_replay story whitelist_file="$T/white" ban_escalate=yes nullroute_min_hits=2 \
	nullroute_freq_bansecs=2m control_socket="$T/none.sock"

check_story() { # WHERE - the three stories, as explain tells them
	ctl explain 198.51.100.7 >"$T/e1" || fail "$1: explain 198.51.100.7 exit $?"
	in_order "$T/e1" '^198\.51\.100\.7: what happened' \
		'rule postfix-rbl-reject, event rbl_reject' \
		'-> listed by zen\.spamhaus\.org: r-198\.51\.100\.7; score 1 hits' \
		'\| .*RCPT from unknown\[198\.51\.100\.7\]' \
		'-> score 2 hits, .*; banned until .* \(ban 1\)' \
		'-> score 3 hits' \
		'-> score 4 hits, .*; banned until .* \(ban 2\)' \
		'^now:' '^  blacklisted by zen\.spamhaus\.org: r-198\.51\.100\.7; 4 hits, 2 ban' \
		'the entry expires' || fail "$1: 198.51.100.7: $(cat "$T/e1")"
	[ "$(grep -c -- '-> ' "$T/e1")" = 4 ] || fail "$1: want 4 lines: $(cat "$T/e1")"
	ctl explain 203.0.113.9 >"$T/e2" || fail "$1: explain 203.0.113.9 exit $?"
	in_order "$T/e2" 'rule dovecot-login, event login' '-> granted until' \
		'event rbl_reject' '-> not listed: client holds a POP-before-SMTP grant' \
		'event login' '-> refreshed \(login 2\), granted until' \
		'^now:' '^  relay granted until .* \(2 logins\)' ||
		fail "$1: 203.0.113.9: $(cat "$T/e2")"
	ctl explain 192.0.2.55 >"$T/e3" || fail "$1: explain 192.0.2.55 exit $?"
	in_order "$T/e3" '-> granted until' '-> not listed: client whitelisted' ||
		fail "$1: 192.0.2.55: $(cat "$T/e3")"
	[ "$(ctl --json explain 198.51.100.7 | jq -r '.evidence | length')" = 4 ] ||
		fail "$1: --json: $(ctl --json explain 198.51.100.7)"
	[ "$(ctl --json explain 198.51.100.7 | jq -r '.evidence[3].outcome')" = \
		"$(sed -n 's/^      -> //p' "$T/e1" | tail -1)" ] || fail "$1: --json outcome differs"
	[ "$(ctl --json explain 198.51.100.7 | jq -r '.blacklist[0].bans')" = 2 ] ||
		fail "$1: --json lacks the record"
}

note "after the replay (offline, from the state)"
check_story offline
ctl explain 192.0.2.99 >"$T/none" 2>&1
[ $? = 1 ] || fail "explain of nothing must exit 1"
grep -q 'no record.*popauthd --test' "$T/none" || fail "no hint: $(cat "$T/none")"
ctl export | grep -q '^evidence' && fail "export carries evidence"
ctl --json show 198.51.100.7 | jq -e 'has("evidence")' >/dev/null && fail "show --json has evidence"

note "the daemon on the same state: the story survived"
pa_conf whitelist_file="$T/white" ban_escalate=yes nullroute_freq_bansecs=2m nullroute_min_hits=2
pa_start
check_story daemon

note "live, then kill -9: the evidence is committed with the record"
pa_feed "$(rbl "$(at 0)" 198.51.100.20)"
wait_for log_has "198.51.100.20 [unknown] has been blacklisted" || fail "198.51.100.20 not listed"
ctl explain 198.51.100.20 | grep -q -- '-> listed by zen.spamhaus.org' || fail "live explain"
pa_kill9
pa_start
ctl explain 198.51.100.20 >"$T/e4" || fail "explain after kill -9 exit $?"
grep -q -- '-> listed by zen.spamhaus.org: r-198.51.100.20' "$T/e4" ||
	fail "after kill -9: $(cat "$T/e4")"

note "a two-line login: the done line, which names no client, is the evidence"
pa_feed "$(at 0) mx popa3d[4242]: Session from 203.0.113.40" \
	"$(at 0) mx popa3d[4242]: Authentication passed for carol"
wait_for map_has 203.0.113.40 || fail "two-line login not granted"
ctl explain 203.0.113.40 >"$T/e6" || fail "explain of a paired login exit $?"
in_order "$T/e6" 'event login_done' '-> granted until' \
	'\| Authentication passed for carol' || fail "paired login: $(cat "$T/e6")"

note "what the admin did is evidence too"
ctl ban 198.51.100.30 1h spam run >/dev/null || fail "ban"
ctl unban 198.51.100.30 >/dev/null || fail "unban"
ctl explain 198.51.100.30 >"$T/e5" || fail "explain of an admin ban exit $?"
in_order "$T/e5" 'rule popauthctl, event ban' '-> banned by the admin for 1h' \
	'\| popauthctl \(uid [0-9]+\): ban 198\.51\.100\.30 1h spam run' \
	'rule popauthctl, event unban' '-> ban lifted by the admin; still listed' \
	'^  not banned' || fail "admin story: $(cat "$T/e5")"

note "removed with the record"
evidence_ips() { ctl status | awk '$1 == "evidence.ips" { print $2 }'; }
n=$(evidence_ips)
[ "$n" -ge 4 ] || fail "status: evidence.ips is '$n'"
ctl delist 198.51.100.20 >/dev/null || fail "delist"
ctl explain 198.51.100.20 >/dev/null 2>&1
[ $? = 1 ] || fail "explain of a delisted IP must exit 1"
one_less() { [ "$(evidence_ips)" = $((n - 1)) ]; }
wait_for -t 15 one_less || fail "evidence outlived its record: evidence.ips $(evidence_ips), was $n"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
