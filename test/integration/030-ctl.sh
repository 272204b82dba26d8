#!/bin/bash
# 030-ctl.sh - popauthctl against a running daemon: every command, checked
# through what Postfix sees (postmap -q) and the exit codes scripts rely on;
# --json output parsed by jq.
. "$(dirname "$0")/lib.sh"

need jq python3
pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
: >"$T/white"
pa_conf whitelist_file="$T/white"
pa_start
ctl() { "$CTL" -c "$CONF" "$@"; }

# status and list on a login
pa_feed "$(login_line alice 192.0.2.10)"
wait_for map_has 192.0.2.10 || fail "login not granted"
ctl status >"$T/st" || fail "status exit $?"
grep -q '^lines  *1$' "$T/st" || fail "status: lines: $(cat "$T/st")"
grep -q '^rule.dovecot-login  *1$' "$T/st" || fail "status: rule hits"
grep -q '^event.login  *1$' "$T/st" || fail "status: events"
grep -q '^map.popauth_checks  *1$' "$T/st" || fail "status: map entries"
[ "$(ctl status --json | jq -r '.grants')" = 1 ] || fail "status --json"
ctl list relay | grep -q '^192.0.2.10 .* alice$' || fail "list relay: $(ctl list relay)"
[ "$(ctl list relay --json | jq -r '.[0].users[0].name')" = alice ] ||
	fail "list relay --json"
note "status, list: ok"

# grant
ctl grant 198.51.100.5 2h >/dev/null || fail "grant exit $?"
map_has 198.51.100.5 || fail "grant not in popauth_checks"
ctl grant 2001:db8::5 >/dev/null || fail "grant v6"
note "revoke: the grant ends now, in the map when popauthctl returns"
ctl grant 198.51.100.55 >/dev/null || fail "grant 198.51.100.55"
map_has 198.51.100.55 || fail "grant 198.51.100.55 not in the map"
ctl revoke 198.51.100.55 >"$T/rv" || fail "revoke exit $?"
grep -q "198.51.100.55: relay grant revoked" "$T/rv" || fail "revoke says: $(cat "$T/rv")"
map_lacks 198.51.100.55 || fail "revoked 198.51.100.55 still in the map: $(map_dump)"
ctl revoke 198.51.100.55 2>"$T/rv"
[ $? = 1 ] || fail "revoke of no grant must exit 1"
grep -q "not granted" "$T/rv" || fail "revoke of no grant says: $(cat "$T/rv")"
map_has 2001:db8::5 || fail "v6 grant not in popauth_checks"
note "grant: ok"
note "list relay is sorted by address"
for ip in 198.51.100.200 10.0.0.9 198.51.100.3 2001:db8::1 192.0.2.99; do
	ctl grant "$ip" >/dev/null || fail "grant $ip"
done
ctl list relay | awk 'NR > 1 {print $1}' >"$T/order"
sort -t. -k1,1n -k2,2n -k3,3n -k4,4n <(grep -v : "$T/order") >"$T/want4"
grep -v : "$T/order" | diff - "$T/want4" >/dev/null || fail "list relay not sorted: $(tr '\n' ' ' <"$T/order")"
awk '/:/ { v6 = 1; next } v6 { bad = 1 } END { exit bad }' "$T/order" ||
	fail "IPv6 not after IPv4: $(tr '\n' ' ' <"$T/order")"
for ip in 198.51.100.200 10.0.0.9 198.51.100.3 2001:db8::1 192.0.2.99; do
	ctl revoke "$ip" >/dev/null || fail "revoke $ip"
done

# ban, unban of an active ban, delist of a listed IP
ctl ban 203.0.113.9 1h caught in a trap >/dev/null || fail "ban exit $?"
v=$(map_q 203.0.113.9 rbl_checks)
[[ "$v" == "554 5.7.1 "*"caught in a trap" ]] || fail "ban: rbl_checks says '$v'"
[ "$(ctl list bans --json | jq -r '.[0].ip')" = 203.0.113.9 ] || fail "list bans"
[ "$(ctl show 203.0.113.9 --json | jq -r '.blacklist[0].banned')" = true ] ||
	fail "show: not banned"
# show in human units: the unban time, the rate beside its threshold (the
# default 0.03333333/s), the ban's kind; JSON keeps the raw numbers
ctl show 203.0.113.9 >"$T/show"
grep -qE '^  unban +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$' "$T/show" || fail "show: unban: $(cat "$T/show")"
grep -qE '^  freq +0\.0/min \(threshold 2\.0/min\)$' "$T/show" || fail "show: freq: $(cat "$T/show")"
grep -qE '^  ban_kind +nullroute$' "$T/show" || fail "show: ban_kind: $(cat "$T/show")"
[ "$(ctl show 203.0.113.9 --json | jq -r '.blacklist[0].freq')" = 0 ] || fail "show --json: freq changed"
ctl unban 203.0.113.9 >/dev/null || fail "unban exit $?"
[ "$(ctl show 203.0.113.9 --json | jq -r '.blacklist[0].banned')" = false ] ||
	fail "unban: still banned"
ctl show 203.0.113.9 >"$T/show"
grep -qE '^  unban +not banned$' "$T/show" || fail "show after unban: $(cat "$T/show")"
grep -q 'ban_kind' "$T/show" && fail "show: ban_kind of no ban: $(cat "$T/show")"
[ "$(ctl show 203.0.113.9 --json | jq -r '.blacklist[0] | has("ban_kind")')" = true ] ||
	fail "show --json lost ban_kind"
[ "$(ctl list bans --json | jq length)" = 0 ] || fail "unban: list bans not empty"
map_has 203.0.113.9 rbl_checks "$v" || fail "unban: entry must stay listed"
ctl unban 203.0.113.9 2>/dev/null
[ $? = 1 ] || fail "unban of an unbanned IP must exit 1"
ctl delist 203.0.113.9 >/dev/null || fail "delist exit $?"
map_lacks 203.0.113.9 rbl_checks || fail "delist: still in rbl_checks"
ctl delist 203.0.113.9 2>/dev/null
[ $? = 1 ] || fail "delist of an unlisted IP must exit 1"
log_has "203.0.113.9 [unknown] has been removed from the blacklist by the admin" ||
	fail "delist not logged"
note "ban, unban, delist: ok"

# a listing by the log, then delisted by the admin
pa_feed "$(date '+%b %e %H:%M:%S') vm postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[198.51.100.77]: 554 5.7.1 Service unavailable; Client host [198.51.100.77] blocked using zen.spamhaus.org; x; from=<a@b> to=<c@d> proto=ESMTP helo=<x>"
wait_for map_q 198.51.100.77 rbl_checks >/dev/null || fail "rbl reject not listed"
ctl show 198.51.100.77 | grep -q 'zen.spamhaus.org' || fail "show: no list"
ctl delist 198.51.100.77 >/dev/null || fail "delist of a listed IP"
map_lacks 198.51.100.77 rbl_checks || fail "log listing not delisted"
note "delist of a log listing: ok"

# bad input and exit codes
ctl show 1.2.3 2>"$T/err"; [ $? = 64 ] || fail "bad IP must exit 64"
grep -q "not an IPv4 or IPv6 address" "$T/err" || fail "bad IP message"
ctl grant 192.0.2.1 5x 2>/dev/null; [ $? = 64 ] || fail "bad duration must exit 64"
ctl show 192.0.2.99 2>/dev/null; [ $? = 1 ] || fail "show of nothing must exit 1"
ctl frobnicate 2>/dev/null; [ $? = 64 ] || fail "unknown command must exit 64"
ctl -o no_such_key=1 status 2>/dev/null; [ $? = 78 ] || fail "bad config must exit 78"
ctl flush bans 2>"$T/err"; [ $? = 64 ] || fail "flush without --yes must exit 64"
grep -q -- "--yes" "$T/err" || fail "flush: no hint about --yes"
note "errors: ok"

# no grant or ban for what cannot be a client: unspecified, multicast,
# broadcast; refused by popauthctl and, sent raw, by the daemon itself
for ip in 0.0.0.0 :: ff02::1 224.0.0.1 255.255.255.255 0.1.2.3; do
	ctl grant "$ip" 2>"$T/err"; rc=$?
	[ "$rc" = 64 ] || fail "grant $ip must exit 64, got $rc"
	grep -q "$ip: not a client address" "$T/err" || fail "grant $ip: message: $(cat "$T/err")"
	ctl ban "$ip" 1h 2>/dev/null; rc=$?
	[ "$rc" = 64 ] || fail "ban $ip must exit 64, got $rc"
	map_lacks "$ip" || fail "grant $ip reached popauth_checks"
	map_lacks "$ip" rbl_checks || fail "ban $ip reached rbl_checks"
done
r=$(ctl_raw $'grant\t0.0.0.0\n')
[[ "$r" == "ERR 64 0.0.0.0: not a client address"* ]] || fail "raw grant 0.0.0.0: $r"
r=$(ctl_raw $'ban\tff02::1\t1h\n')
[[ "$r" == "ERR 64 ff02::1: not a client address"* ]] || fail "raw ban ff02::1: $r"
map_lacks 0.0.0.0 || fail "raw grant 0.0.0.0 reached popauth_checks"
map_lacks ff02::1 rbl_checks || fail "raw ban ff02::1 reached rbl_checks"
printf 'grant\t0.0.0.0\t1700000000\t1700000100\t2\t4000000000\n' | ctl import - 2>"$T/err"
[ $? = 65 ] || fail "import of a grant for 0.0.0.0 must exit 65"
grep -q "not a client address" "$T/err" || fail "import 0.0.0.0: message: $(cat "$T/err")"
map_lacks 0.0.0.0 || fail "import reached popauth_checks with 0.0.0.0"
# what removes or shows entries still takes any address (old bad entries)
ctl delist 0.0.0.0 2>/dev/null; [ $? = 1 ] || fail "delist 0.0.0.0 must exit 1 (not listed)"
ctl unban ff02::1 2>/dev/null; [ $? = 1 ] || fail "unban ff02::1 must exit 1 (not banned)"
ctl show 0.0.0.0 2>/dev/null; [ $? = 1 ] || fail "show 0.0.0.0 must exit 1 (nothing)"
note "client addresses: ok"

# whitelist add/del: file rewritten, daemon reloads it
ctl whitelist add 10.1.0.0/16 >/dev/null || fail "whitelist add"
grep -q '^10.1.0.0/16' "$T/white" || fail "whitelist file not written"
log_has "control: uid $(id -u): whitelist" || fail "whitelist reload not requested"
ctl whitelist add 10.1.0.1/16 2>/dev/null; [ $? = 64 ] || fail "bad CIDR must exit 64"
ctl whitelist del 10.1.0.0/16 >/dev/null || fail "whitelist del"
grep -q '10.1.0.0' "$T/white" && fail "whitelist del left the line"
ctl whitelist del 10.1.0.0/16 2>/dev/null; [ $? = 1 ] || fail "del of absent must exit 1"
note "whitelist: ok"

# export, flush, import back (JSON and TSV)
ctl ban 203.0.113.50 1d "tab	and \\ backslash" >/dev/null || fail "ban 2"
ctl export >"$T/exp.tsv" || fail "export"
ctl export --json >"$T/exp.json" || fail "export --json"
jq -e '.popauthd_export == 1 and (.grants | length) == 3' "$T/exp.json" >/dev/null ||
	fail "export --json content: $(cat "$T/exp.json")"
awk -F'\t' '$1 == "black" && NF != 16 { exit 1 }' "$T/exp.tsv" || fail "export: broken record"
# the protocol itself wants the confirmation word, not only popauthctl
for req in $'flush\tall\n' $'flush\tall\tyes\n' $'flush\tall\tconfirm\tx\n' \
	$'flush\tblacklist\n' $'flush\tbans\n'; do
	r=$(ctl_raw "$req")
	[[ "$r" == "ERR 64 flush "*"flush "*" confirm"* ]] ||
		fail "raw ${req%$'\n'} without confirm: $r"
done
map_has 192.0.2.10 || fail "an unconfirmed flush removed a grant"
[ -n "$(map_q 203.0.113.50 rbl_checks)" ] || fail "an unconfirmed flush removed a listing"
[ "$(ctl list bans --json | jq length)" = 1 ] || fail "an unconfirmed flush lifted a ban"
r=$(ctl_raw $'flush\tbans\tconfirm\n')
[[ "$r" == "OK 1 bans lifted" ]] || fail "raw flush bans confirm: $r"
ctl flush all --yes >/dev/null || fail "flush all"
map_lacks 192.0.2.10 || fail "flush all: grant left"
map_lacks 203.0.113.50 rbl_checks || fail "flush all: listing left"
ctl import "$T/exp.json" >/dev/null || fail "import json"
map_has 192.0.2.10 || fail "import json: grant missing"
map_q 203.0.113.50 rbl_checks | grep -q 'backslash' || fail "import json: listing missing"
[ "$(ctl list bans --json | jq -r '.[0].ip')" = 203.0.113.50 ] || fail "import: ban lost"
ctl flush blacklist --yes >/dev/null || fail "flush blacklist"
map_lacks 203.0.113.50 rbl_checks || fail "flush blacklist left an entry"
ctl import "$T/exp.tsv" >/dev/null || fail "import tsv"
ctl export >"$T/exp2.tsv"
diff <(grep -v '^grant\|^user' "$T/exp.tsv") <(grep -v '^grant\|^user' "$T/exp2.tsv") ||
	fail "export / import / export differs"
printf 'black\t1.2.3\tx\n' | ctl import - 2>/dev/null; [ $? = 65 ] || fail "bad import must exit 65"
note "export, flush, import: ok"

ctl reload >/dev/null || fail "reload"
log_has "reloaded $CONF" || fail "reload not done"
kill -USR1 "$PA_PID"
wait_for log_has "status: version=" || fail "SIGUSR1 status line"
log_has "rule.dovecot-login=" || fail "SIGUSR1 status lacks rule hits"
pa_stop
[ ! -e "$T/control.sock" ] || fail "control socket left behind"
exit 0
