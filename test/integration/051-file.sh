#!/bin/bash
# 051-file - input = file: a mail log rsyslog writes, followed across
# rotation by rename and by copytruncate (as logrotate does), while running
# and while stopped.  Asserts what Postfix sees (postmap -q) and that every
# login is acted on exactly once (one grant line per address, no refresh).
. "$(dirname "$0")/lib.sh"

pf_dir
LD=$T/log
ML=$LD/mail.log
mkdir -p "$LD"
pa_conf input=file input_path="$ML" popauth_expire=1h

add() { login_line "u${1##*.}" "$1" >>"$ML"; }
# copytruncate - what logrotate's copytruncate does
copytruncate() { cp "$ML" "$ML.1" && : >"$ML"; }
# rename - what logrotate does by default (create: a new empty file)
rename() { mv "$ML" "$ML.1" && : >"$ML"; }
once() {
	local n
	n=$(grep -cE "relay session from $1( x [0-9]+)?\$" "$LOG")
	[ "$n" -eq 1 ] || fail "$1: $n grant lines, want exactly 1: $(grep -E "from $1( |\$)" "$LOG")"
}
granted() { wait_for map_has "$1" || fail "$1 not granted ($2): $(map_dump)"; }

note "first start: only the last popauth_expire counts"
login_line u70 192.0.2.70 "$(date -d '-2 hours' '+%b %e %H:%M:%S')" >"$ML"
login_line u71 192.0.2.71 "$(date -d '-1 minute' '+%b %e %H:%M:%S')" >>"$ML"
pa_start
granted 192.0.2.71 "1 min old at the first start"
map_lacks 192.0.2.70 || fail "a login older than popauth_expire was granted"

note "appended while running; a partial line waits for its newline"
add 192.0.2.72
granted 192.0.2.72 appended
line=$(login_line u73 192.0.2.73)
printf '%s' "${line:0:40}" >>"$ML"
stay_for 1 map_lacks 192.0.2.73 || fail "a partial line was acted on"
printf '%s\n' "${line:40}" >>"$ML"
granted 192.0.2.73 "partial line completed"

note "an over-long line (20 KiB) is dropped whole; the next line counts"
{ head -c 20480 /dev/zero | tr '\0' x; echo; } >>"$ML"
add 192.0.2.84
granted 192.0.2.84 "after an over-long line"
wait_for log_has "$ML: dropped a line longer than 16384 bytes" ||
	fail "no warning for the over-long line"

note "rotation by rename while running"
add 192.0.2.74
rename
add 192.0.2.75
granted 192.0.2.74 "last line of the renamed file"
granted 192.0.2.75 "first line of the new file"

note "copytruncate while running"
add 192.0.2.76
copytruncate
add 192.0.2.77
granted 192.0.2.76 "before copytruncate"
granted 192.0.2.77 "after copytruncate"

note "stopped: appended, renamed, truncated; all read at start"
pa_stop
add 192.0.2.78
pa_start
granted 192.0.2.78 "appended while stopped"
pa_stop
add 192.0.2.79
rename
add 192.0.2.80
pa_start
granted 192.0.2.79 "rest of the file renamed while stopped"
granted 192.0.2.80 "new file made while stopped"
pa_stop
add 192.0.2.81
add 192.0.2.82
copytruncate
add 192.0.2.83
pa_start
granted 192.0.2.81 "in the copy of a copytruncate while stopped"
granted 192.0.2.83 "after a copytruncate while stopped"

note "kill -9 while lines stream in"
IPS=()
for round in 1 2 3; do
	for i in $(seq 1 20); do
		IPS+=("198.51.10$round.$i")
		add "198.51.10$round.$i"
	done
	[ "$round" = 2 ] && rename
	pa_kill9
	pa_start
done
for ip in "${IPS[@]}"; do granted "$ip" "after kill -9"; done
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
for ip in $(seq -f '192.0.2.%g' 71 84); do once "$ip"; done
for ip in "${IPS[@]}"; do
	! grep -qE "refreshed .* from $ip( x [0-9]+)?\$" "$LOG" || fail "$ip read twice"
	[ "$(grep -cE "relay session from $ip( x [0-9]+)?\$" "$LOG")" -le 1 ] || fail "$ip granted twice"
done
exit 0
