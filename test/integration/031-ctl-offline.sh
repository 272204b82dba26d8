#!/bin/bash
# 031-ctl-offline.sh - popauthctl without a daemon (read-only commands read
# the state, changing ones exit 69) and the import of a popauth 3.0.1
# installation: rbl_cache and the authenticated/ and fishers/ spools, first
# offline into the state, then through the daemon.
. "$(dirname "$0")/lib.sh"

need jq
pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
[ -x "$CTL" ] || fail "$CTL is missing; run make"
pa_conf
ctl() { "$CTL" -c "$CONF" "$@"; }
now=$(date +%s)

# the seed's formats: rbl_cache (IP first last unban period total freq host
# list reason; unban -1 = never), spool files named by IP
mkdir -p "$T/p3/authenticated" "$T/p3/fishers"
printf '%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n' \
	198.51.100.1 $((now - 86400)) $((now - 60)) -1 1 3 0.000100 mail.example.net sbl.spamhaus.org "http://www.spamhaus.org/SBL/sbl.lasso?query=SBL1" \
	198.51.100.2 $((now - 3600)) $((now - 10)) $((now + 3600)) 5 60 0.500000 unknown list.dsbl.org "http://dsbl.org/listing?ip=198.51.100.2" \
	198.51.100.3 $((now - 400 * 86400)) $((now - 300 * 86400)) -1 1 1 0.000000 old.example bl.example "long expired" \
	>"$T/p3/rbl_cache"
printf 'alice@example.org\t%d\t%d\t4\nbob@example.org\t%d\t%d\t1\n' \
	$((now - 7200)) $((now - 60)) $((now - 300)) $((now - 300)) >"$T/p3/authenticated/192.0.2.20"
printf 'carol@example.org\t%d\t%d\t1\n' $((now - 9000)) $((now - 9000)) >"$T/p3/authenticated/192.0.2.21"
printf 'a@example.org\tx@spam.example\t%d\t%d\t1\nb@example.org\tx@spam.example\t%d\t%d\t2\n' \
	$((now - 100)) $((now - 100)) $((now - 50)) $((now - 40)) >"$T/p3/fishers/203.0.113.30"

# no daemon: changing commands exit 69 and say which socket
ctl grant 192.0.2.1 2>"$T/err"; [ $? = 69 ] || fail "grant without daemon must exit 69"
grep -qF "$T/control.sock" "$T/err" || fail "69 message does not name the socket: $(cat "$T/err")"
for c in "ban 192.0.2.1" "unban 192.0.2.1" "delist 192.0.2.1" "reload" "flush bans --yes"; do
	ctl $c 2>/dev/null; [ $? = 69 ] || fail "$c without daemon must exit 69"
done
ctl list relay >/dev/null 2>&1 || fail "list relay without daemon and without state"
note "no daemon: ok"

# offline import of the legacy installation
ctl import rbl_cache "$T/p3/rbl_cache" >/dev/null || fail "import rbl_cache offline"
ctl import authenticated "$T/p3/authenticated" >/dev/null || fail "import authenticated offline"
ctl import fishers "$T/p3/fishers" >/dev/null || fail "import fishers offline"
[ "$(ctl list blacklist --json 2>/dev/null | jq length)" = 2 ] || fail "offline: expected 2 listings"
[ "$(ctl list bans --json 2>/dev/null | jq -r '.[0].ip')" = 198.51.100.2 ] || fail "offline: ban"
[ "$(ctl list relay --json 2>/dev/null | jq -r '.[0].ip')" = 192.0.2.20 ] || fail "offline: grant"
[ "$(ctl list fishing --json 2>/dev/null | jq -r '.[0].pairs | length')" = 2 ] || fail "offline: fishing"
ctl show 198.51.100.1 2>/dev/null | grep -q 'sbl.spamhaus.org' || fail "offline show"
ctl status >"$T/st" 2>"$T/st.err"
rc=$?
grep -qx 'popauthctl: ' "$T/st.err" && fail "an empty 'popauthctl: ' line after the notice: $(cat "$T/st.err")"
[ "$rc" = 69 ] || fail "offline status must exit 69 (not running), got $rc"
grep -q '^daemon  *not running' "$T/st" || fail "offline status"
ctl export --json 2>/dev/null | jq -e '.blacklist | length == 2' >/dev/null || fail "offline export"
printf 'x\t1\n' >"$T/bad_cache"
ctl import rbl_cache "$T/bad_cache" 2>"$T/err"; [ $? = 65 ] || fail "bad rbl_cache must exit 65"
grep -q "bad_cache:1:" "$T/err" || fail "bad rbl_cache: no file:line"
note "offline import: ok"

# the daemon starts from that state: maps hold what popauth 3 had
pa_start
wait_for map_has 192.0.2.20 || fail "imported grant not in popauth_checks"
map_lacks 192.0.2.21 || fail "expired legacy grant was granted"
map_q 198.51.100.1 rbl_checks | grep -q 'sbl.spamhaus.org' || fail "imported listing not in rbl_checks"
map_lacks 198.51.100.3 rbl_checks || fail "expired legacy listing was listed"

# import through the daemon goes straight into the maps
ctl flush all --yes >/dev/null || fail "flush all"
map_lacks 198.51.100.1 rbl_checks || fail "flush all left a listing"
ctl import rbl_cache "$T/p3/rbl_cache" >"$T/out" || fail "import via daemon"
grep -q "imported 0 grants, 2 blacklist entries, 0 fishing records; 1 already expired" "$T/out" ||
	fail "import counts: $(cat "$T/out")"
map_q 198.51.100.2 rbl_checks | grep -q 'list.dsbl.org' || fail "import via daemon: map"
[ "$(ctl list bans --json | jq -r '.[0].ip')" = 198.51.100.2 ] || fail "import via daemon: ban"
ctl import authenticated "$T/p3/authenticated" >/dev/null || fail "import spool via daemon"
map_has 192.0.2.20 || fail "import spool via daemon: map"
pa_stop

# offline reading refuses while something holds the pid file lock
exec 9>>"$PIDFILE"
flock -n 9 || fail "cannot lock $PIDFILE"
ctl list relay 2>"$T/err"; [ $? = 69 ] || fail "locked pid file must exit 69"
exec 9>&-
exit 0
