#!/bin/bash
# 042-reaper.sh - the stalled session reaper against processes whose titles
# mimic sendmail children stuck in "cmd read" (exec -a), with a 1 s interval
# and a 1 s limit: a matching one gets TERM; one that ignores TERM gets KILL
# half a second later; a non-matching title and a young matching process
# survive; --replay never signals anything; off by default.
. "$(dirname "$0")/lib.sh"

VICTIMS=()
victim() { # TITLE [ignore-term] - a sleep 1000 under TITLE; pid in $V
	if [ "${2:-}" = ignore-term ]; then
		(trap '' TERM; exec -a "$1" sleep 1000) &
	else
		(exec -a "$1" sleep 1000) &
	fi
	V=$!
	VICTIMS+=("$V")
}
cleanup_victims() {
	local p
	for p in "${VICTIMS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	_lib_cleanup
}
trap cleanup_victims EXIT
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }
gone() { ! alive "$1"; }
# titles are unique per run, so other tests' processes never match
TAG=$$

victim "sendmail: server [127.0.0.5] cmd read $TAG"
STALLED=$V
victim "sendmail: server mail.example [127.0.0.6] cmd read $TAG" ignore-term
STUBBORN=$V
victim "sendmail: server [127.0.0.7] cmd write $TAG"
OTHER=$V
victim "sendmail: accepting connections $TAG"
DAEMON=$V
PAT='^sendmail: server (?:\S+ )?\[?(?<ip>[^\]\s]+)\]? cmd read '"$TAG"
sleep 1.2	# the victims must be older than stalled_session_max (1 s)

# 1. --replay never reaps
pa_conf stalled_session_reaper=yes stalled_session_interval=1s \
    stalled_session_max=1s "stalled_session_pattern=$PAT"
echo "Nov 23 10:00:00 mx sm-mta[1]: x" >"$T/r.log"
pa_run 20 -c "$CONF" --replay "$T/r.log"
[ "$PA_RC" -eq 0 ] || fail "c1: replay exited $PA_RC: $(cat "$T/run.err")"
alive "$STALLED" || fail "c1: --replay killed a process"
note "c1 replay: ok"

# 2. off by default: nothing happens in 2.5 s
pa_conf "stalled_session_pattern=$PAT" stalled_session_interval=1s stalled_session_max=1s
pa_start
stay_for 2 alive "$STALLED" || fail "c2: killed while stalled_session_reaper = no"
pa_stop
note "c2 off by default: ok"

# 3. on: TERM, KILL for the stubborn one, the rest survives
pa_conf stalled_session_reaper=yes stalled_session_interval=1s \
    stalled_session_max=1s "stalled_session_pattern=$PAT"
pa_start
victim "sendmail: server [127.0.0.8] cmd read $TAG"
YOUNG=$V
wait_for -t 5 gone "$STALLED" || fail "c3: stalled session $STALLED not ended"
wait_for -t 5 gone "$STUBBORN" || fail "c3: TERM-ignoring session $STUBBORN not killed"
wait_for log_has "127.0.0.5: pid $STALLED has been running" || fail "c3: no log line for $STALLED"
grep -F "127.0.0.5: pid $STALLED has been running" "$LOG" | grep -qE 'running [0-9]+s in "sendmail: server \[127\.0\.0\.5\] cmd read' ||
	fail "c3: log line lacks the runtime or title"
log_has "127.0.0.5: sent TERM to pid $STALLED (stalled SMTP session, running" || fail "c3: no TERM line"
wait_for log_has "127.0.0.6: sent KILL to pid $STUBBORN (alive after TERM)" || fail "c3: no KILL line"
if log_has "sent KILL to pid $STALLED"; then fail "c3: KILL sent to a process that ended on TERM"; fi
alive "$OTHER" || fail "c3: non-matching 'cmd write' process killed"
alive "$DAEMON" || fail "c3: sendmail daemon title killed"
if log_has "pid $OTHER" || log_has "pid $DAEMON"; then fail "c3: a non-matching process was logged"; fi
note "c3 TERM and KILL: ok"

# 4. the young one is reaped only once it is older than the limit
wait_for -t 6 gone "$YOUNG" || fail "c4: young session never ended"
alive "$OTHER" || fail "c4: non-matching process killed"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "popauthd exited $PA_RC"
note "c4 young session: ok"
exit 0
