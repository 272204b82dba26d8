#!/bin/bash
# 001-check-config - --check-config accepts a good config and refuses bad ones
# with "file:LINE:" on stderr and exit 78; -o errors name "-o:N:"; --version.
. "$(dirname "$0")/lib.sh"

pa_conf popauth_expire=2m

note "good config"
pa_run 10 -c "$CONF" --check-config
[ "$PA_RC" -eq 0 ] || fail "--check-config on a good config: exit $PA_RC: $(cat "$T/run.err")"
[ -s "$T/run.out" ] || fail "--check-config printed no report"
grep -qF "$CONF" "$T/run.out" || fail "report does not name $CONF: $(cat "$T/run.out")"
[ ! -e "$FIFO" ] || fail "--check-config created the FIFO"
[ ! -e "$PIDFILE" ] || fail "--check-config wrote a pid file"

# expect_bad LINE TEXT - a config with TEXT appended as line LINE is refused,
# naming $CONF:LINE: and the key
expect_bad() {
	local base=$T/base.conf line
	pa_conf popauth_expire=2m
	cp "$CONF" "$base"
	printf '%s\n' "# filler" "" >>"$CONF"
	line=$(($(wc -l <"$CONF") + 1))
	printf '%s\n' "$1" "log_debug = no" >>"$CONF"
	pa_run 10 -c "$CONF" --check-config
	[ "$PA_RC" -eq 78 ] || fail "\"$1\": exit $PA_RC, want 78 (stderr: $(cat "$T/run.err"))"
	grep -qF "$CONF:$line:" "$T/run.err" ||
		fail "\"$1\": stderr does not say $CONF:$line:: $(cat "$T/run.err")"
	grep -qF "${2:-${1%% *}}" "$T/run.err" ||
		fail "\"$1\": stderr does not name ${2:-${1%% *}}: $(cat "$T/run.err")"
	note "refused: $1 -> $(head -n 1 "$T/run.err")"
	cp "$base" "$CONF"
}

expect_bad "no_such_key = 1"
expect_bad "popauth_expire = 30x"
expect_bad "popauth_expire = 0"
expect_bad "log_debug = maybe"
expect_bad "firewall_backend = pf"
expect_bad "nftables_table = x;flush ruleset"
expect_bad "max_tracked_ips = many"
expect_bad "popauth_expire 30m" "="
# right type, but the daemon would refuse or mis-serve them (issue 14)
expect_bad "nullroute_ports = 99999"
expect_bad "run_as_user = no-such-user-popauthd"
expect_bad "control_group = no-such-group-popauthd"
expect_bad "greytrap_dns_servers = not-an-address"
expect_bad "blacklist_code = hello"
expect_bad 'blacklist_template = listed by $nosuch' '$nosuch'
expect_bad "alert_smtp_server = :::::"
expect_bad "sysadmin_email_address = not an address"
expect_bad "cluster_database = host=/run/postgresql port" "cluster_database"
expect_bad "cluster_node = mx1; DROP TABLE x" "cluster_node"

note "-c DIRECTORY is refused, not read as an empty config"
pa_run 10 -c "$T" --check-config
[ "$PA_RC" -eq 78 ] || fail "-c DIRECTORY: exit $PA_RC, want 78"
grep -qF "$T: not a regular file" "$T/run.err" || fail "-c DIRECTORY: $(cat "$T/run.err")"

note "-o overrides"
pa_conf
pa_run 10 -c "$CONF" -o popauth_expire=2s -o log_debug=yes --check-config
[ "$PA_RC" -eq 0 ] || fail "good -o: exit $PA_RC: $(cat "$T/run.err")"
pa_run 10 -c "$CONF" -o popauth_expire=2s -o log_debug=perhaps --check-config
[ "$PA_RC" -eq 78 ] || fail "bad -o: exit $PA_RC, want 78"
grep -qF -- "-o:2:" "$T/run.err" || fail "bad -o: stderr lacks -o:2:: $(cat "$T/run.err")"
grep -qF "log_debug" "$T/run.err" || fail "bad -o: stderr does not name log_debug"
pa_run 10 -c "$CONF" -o nosuch_key=1 --check-config
[ "$PA_RC" -eq 78 ] || fail "-o unknown key: exit $PA_RC, want 78"
grep -qF -- "-o:1:" "$T/run.err" || fail "-o unknown key: stderr lacks -o:1:: $(cat "$T/run.err")"

note "missing config file and missing rules directory"
pa_run 10 -c "$T/nonexistent.conf" --check-config
[ "$PA_RC" -ne 0 ] || fail "a missing config file was accepted"
grep -qF "$T/nonexistent.conf" "$T/run.err" || fail "missing file not named: $(cat "$T/run.err")"
pa_run 10 -c "$CONF" -o rules_directory="$T/no-rules" --check-config
[ "$PA_RC" -ne 0 ] || fail "a missing rules_directory was accepted"

note "a bad config refuses the daemon too, before it creates anything"
pa_conf popauth_expire=soon
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 78 ] || fail "-f with a bad config: exit $PA_RC, want 78"
grep -qF "$CONF:" "$T/run.err" || fail "-f with a bad config: no file:line on stderr"
[ ! -e "$FIFO" ] || fail "-f with a bad config created the FIFO"
[ ! -e "$MAPDIR/popauth_checks.db" ] || fail "-f with a bad config created the map"

note "the same check at start (exit 78, nothing created) and at reload (old config kept)"
pa_conf blacklist_code=hello
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 78 ] || fail "start with blacklist_code=hello: exit $PA_RC, want 78"
grep -qF "$CONF:" "$T/run.err" && grep -qF blacklist_code "$T/run.err" ||
	fail "start with blacklist_code=hello: $(cat "$T/run.err")"
[ ! -e "$MAPDIR/popauth_checks.db" ] || fail "a refused start created the map"
pa_conf
pa_start
n=$(wc -l <"$CONF")
echo "alert_smtp_server = :::::" >>"$CONF"
kill -HUP "$PA_PID"
wait_for log_has "$CONF:$((n + 1)): alert_smtp_server = :::::" ||
	fail "reload: no file:line for the bad value: $(tail -3 "$LOG")"
pa_alive || fail "a bad reload stopped the daemon"
pa_feed "$(login_line alice 192.0.2.77)"
pf_dir
wait_for map_has 192.0.2.77 || fail "after a refused reload the daemon does not grant"
pa_stop

note "usage errors"
pa_run 10 --no-such-option
[ "$PA_RC" -eq 64 ] || fail "unknown option: exit $PA_RC, want 64"
pa_run 10 -c "$CONF" stray-argument
[ "$PA_RC" -eq 64 ] || fail "stray argument: exit $PA_RC, want 64"

note "the shipped etc/popauthd.conf and etc/whitelist pass"
pa_conf
pa_run 10 -c "$REPO/etc/popauthd.conf" -o rules_directory="$REPO/etc/rules" \
	-o whitelist_file="$REPO/etc/whitelist" --check-config
[ "$PA_RC" -eq 0 ] || fail "shipped config: exit $PA_RC: $(cat "$T/run.err")"
sed -e 's/^#\([a-z_]* = \)/\1/' "$REPO/etc/popauthd.conf" >"$T/allset.conf"
pa_run 10 -c "$T/allset.conf" -o rules_directory="$REPO/etc/rules" --check-config
[ "$PA_RC" -eq 0 ] || fail "shipped config with every default uncommented: exit $PA_RC: $(cat "$T/run.err")"
sed -e 's/^#\([0-9a-f:]\)/\1/' "$REPO/etc/whitelist" >"$T/whitelist"
pa_run 10 -c "$CONF" -o whitelist_file="$T/whitelist" --check-config
[ "$PA_RC" -eq 0 ] || fail "shipped whitelist examples uncommented: exit $PA_RC: $(cat "$T/run.err")"

note "a bad whitelist line is refused with file:line"
printf '%s\n' "# ok" "192.0.2.0/24" "192.0.2.1/24" >"$T/badwl"
pa_run 10 -c "$CONF" -o whitelist_file="$T/badwl" --check-config
[ "$PA_RC" -ne 0 ] || fail "whitelist with host bits set was accepted"
grep -qF "$T/badwl:3:" "$T/run.err" || fail "bad whitelist: stderr lacks $T/badwl:3:: $(cat "$T/run.err")"

note "--version"
pa_run 10 --version
[ "$PA_RC" -eq 0 ] || fail "--version: exit $PA_RC"
grep -qE '^popauthd [0-9]+\.[0-9]+' "$T/run.out" || fail "--version printed: $(cat "$T/run.out")"
exit 0
