#!/bin/bash
# 008-pidfile-signals - the pid file lock keeps a second instance out; SIGHUP
# reloads the config (a bad one is refused and the old one kept) and keeps the
# grants; SIGTERM and SIGINT exit 0 and leave valid, readable maps.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf popauth_expire=30m
pa_start
first=$PA_PID

note "a second instance is refused"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] || fail "a second instance started (exit 0)"
[ "$PA_RC" -ne 124 ] || fail "a second instance kept running"
[ "$PA_RC" -eq 75 ] || fail "a second instance exited $PA_RC, want 75 (EX_TEMPFAIL): $(head -n 5 "$T/run.err")"
note "second instance: exit $PA_RC: $(head -n 1 "$T/run.err")"
pa_alive "$first" || fail "the first instance died"
pidfile_is "$first" || fail "the pid file no longer names the first instance: $(cat "$PIDFILE" 2>&1)"
[ -p "$FIFO" ] || fail "the FIFO is gone"
pa_feed "$(login_line alice 192.0.2.10)"
wait_for map_has 192.0.2.10 || fail "first instance does not grant after the refusal"

note "SIGHUP with popauth_expire = 3s keeps the grant"
pa_conf popauth_expire=3s
kill -HUP "$first"
wait_for log_has "reloaded" || fail "no \"reloaded\" line after SIGHUP"
pa_alive "$first" || fail "died on SIGHUP"
map_has 192.0.2.10 || fail "SIGHUP dropped the grant: $(map_dump)"
pa_feed "$(login_line bob 192.0.2.11)"
wait_for map_has 192.0.2.11 || fail "no grant after SIGHUP"
wait_for -t 10 map_lacks 192.0.2.11 || fail "the reloaded popauth_expire = 3s is not in effect"

note "SIGHUP with a bad config keeps the old one"
nreload=$(grep -c "reloaded" "$LOG")
cp "$CONF" "$T/good.conf"
echo "no_such_key = 1" >>"$CONF"
kill -HUP "$first"
wait_for grep -qF "$CONF:" "$LOG" || fail "the bad config on SIGHUP is not reported in the log"
pa_alive "$first" || fail "died on SIGHUP with a bad config"
[ "$(grep -c "reloaded" "$LOG")" -eq "$nreload" ] || fail "a bad config was reported as reloaded"
pa_feed "$(login_line carol 192.0.2.12)"
wait_for map_has 192.0.2.12 || fail "no grant after a bad SIGHUP"

note "back to 30m, then SIGTERM: exit 0, maps valid"
pa_conf popauth_expire=30m
kill -HUP "$first"
more_reloads() { [ "$(grep -c "reloaded" "$LOG")" -gt "$nreload" ]; }
wait_for more_reloads || fail "good config not reloaded"
pa_feed "$(login_line dave 192.0.2.13)"
wait_for map_has 192.0.2.13 || fail "192.0.2.13 not granted"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC, want 0"
map_valid popauth_checks || fail "popauth_checks not valid after SIGTERM"
map_valid rbl_checks || fail "rbl_checks not valid after SIGTERM"
map_has 192.0.2.13 || fail "grant not readable after SIGTERM: $(map_dump)"
[ ! -e "$PIDFILE" ] || ! pidfile_is "$first" || note "(pid file left behind after SIGTERM)"

note "SIGINT: exit 0"
pa_start
map_has 192.0.2.13 || fail "grant lost over a clean restart"
kill -INT "$PA_PID"
pa_wait 10
[ "$PA_RC" -eq 0 ] || fail "SIGINT: exit $PA_RC, want 0"
map_valid || fail "popauth_checks not valid after SIGINT"

note "daemon mode (no -f): the command returns once started, every start-up line has the daemon's PID"
: >"$LOG"
pa_run 15 -c "$CONF"
[ "$PA_RC" -eq 0 ] || fail "daemon mode: exit $PA_RC: $(cat "$T/run.err")"
wait_for test -s "$PIDFILE" || fail "no pid file in daemon mode"
dpid=$(head -n 1 "$PIDFILE")
PA_PIDS+=("$dpid")
wait_for log_has "starting popauthd" || fail "no start-up line"
others=$(grep -o 'popauthd\[[0-9]*\]' "$LOG" | sort -u | grep -v "popauthd\[$dpid\]")
[ -z "$others" ] || fail "start-up lines with another PID than the daemon's $dpid: $others"
kill -TERM "$dpid"
wait_for -t 10 sh -c "! kill -0 $dpid 2>/dev/null" || fail "daemon did not stop"

note "daemon mode: a failed start fails the command with its code"
pa_conf pid_file="$T/plainfile/x.pid"
: >"$T/plainfile"
pa_run 15 -c "$CONF"
[ "$PA_RC" -eq 73 ] || fail "daemon mode, uncreatable pid file: exit $PA_RC, want 73"
exit 0
