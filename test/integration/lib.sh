# lib.sh - helpers for the integration tests (sourced by test/integration/*.sh).
#
# test/run-integration gives each test a fresh temp dir in $T and sets REPO and
# POPAUTHD.  A test writes its config with pa_conf, a private Postfix config dir
# with pf_dir (postmap -c; /etc/postfix is never read or touched), starts the
# daemon with pa_start, feeds the FIFO with pa_feed and asserts what Postfix
# sees with map_q/map_has/map_lacks.  Waiting is always wait_for with a
# deadline, never a bare sleep.  Exit 0 = pass, 77 = skip, else fail.
#
# Variables after sourcing:
#   CONF FIFO DATADIR MAPDIR LOG PIDFILE PFDIR  paths inside $T
#   PA_PID                                       pid of the last pa_start
#   PA_RC                                        exit status from pa_stop/pa_wait
#   MAPTYPE   the map_type the map_* helpers read (hash unless the test sets
#             it; pa_conf map_type=lmdb makes the daemon write lmdb:)
set -u

: "${T:?T must name the temp dir of the test, see test/run-integration}"
: "${REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${POPAUTHD:=$REPO/popauthd/popauthd}"
export T REPO POPAUTHD
: "${MAPTYPE:=hash}"

CONF=$T/popauthd.conf
FIFO=$T/maillog.fifo
DATADIR=$T/data
MAPDIR=$T/maps
LOG=$T/popauthd.log
PIDFILE=$T/popauthd.pid
PFDIR=$T/pf
DAEMON_OUT=$T/daemon.out
PA_PID=
PA_RC=
PA_PIDS=()

# Dovecot login detail as Dovecot 2.3 logs it (see ../shared/ref/corpus)
LIP=192.0.2.1

# note MSG... - progress line in the test's output
note() {
	echo "--- $*"
}

# skip MSG... - the test cannot run here; exit 77
skip() {
	echo "SKIP: $*"
	exit 77
}

# fail MSG... - print MSG and the tail of the daemon's log and output; exit 1
fail() {
	echo "FAIL: $*" >&2
	if [ -s "$LOG" ]; then
		echo "--- last lines of $LOG:" >&2
		tail -n 25 "$LOG" >&2
	fi
	if [ -s "$DAEMON_OUT" ]; then
		echo "--- last lines of daemon stdout/stderr ($DAEMON_OUT):" >&2
		tail -n 15 "$DAEMON_OUT" >&2
	fi
	# again at the end: the runner shows only the tail of the output
	echo "FAIL: $*" >&2
	exit 1
}

# now_ms - wall clock in milliseconds, without a fork
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# wait_for [-t SECS] CMD [ARGS...] - run CMD every 10 ms until it succeeds;
# returns 1 after SECS (default 5) seconds.  WAITED_MS says how long it took.
WAITED_MS=0
wait_for() {
	local secs=5 start deadline
	if [ "${1-}" = -t ]; then
		secs=$2
		shift 2
	fi
	start=$(now_ms)
	deadline=$((start + secs * 1000))
	while :; do
		if "$@"; then
			WAITED_MS=$(($(now_ms) - start))
			return 0
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			WAITED_MS=$(($(now_ms) - start))
			return 1
		fi
		sleep 0.01
	done
}

# stay_for SECS CMD [ARGS...] - CMD holds for the whole SECS (polled every
# 10 ms); returns 1 as soon as it does not.  For "nothing changes" checks.
stay_for() {
	local secs=$1 deadline
	shift
	deadline=$(($(now_ms) + secs * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		"$@" || return 1
		sleep 0.01
	done
	"$@"
}

# need CMD... - skip the test when a tool is missing
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

# pa_conf [name=value...] - write $CONF for a daemon living inside $T, with
# the shipped rules; extra settings are appended (later ones win)
pa_conf() {
	local kv
	mkdir -p "$DATADIR" "$MAPDIR"
	{
		echo "# written by test/integration/lib.sh pa_conf"
		echo "fifo_path = $FIFO"
		echo "data_directory = $DATADIR"
		echo "map_directory = $MAPDIR"
		echo "rules_directory = $REPO/etc/rules"
		echo "log_file = $LOG"
		echo "pid_file = $PIDFILE"
		echo "control_socket = $T/control.sock"
		echo "whitelist_file ="
		echo "firewall_backend = none"
		echo "run_as_user ="
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$CONF"
}

# pf_dir - a private Postfix config dir for postmap -c (nothing else is read);
# checks once that postmap can build and query a hash: table with it
pf_dir() {
	need postmap
	mkdir -p "$PFDIR"
	echo "compatibility_level = 3.6" >"$PFDIR/main.cf"
	echo "192.0.2.250 OK" >"$PFDIR/selftest"
	postmap -c "$PFDIR" "hash:$PFDIR/selftest" ||
		fail "postmap -c $PFDIR cannot build a hash: table"
	[ "$(postmap -c "$PFDIR" -q 192.0.2.250 "hash:$PFDIR/selftest")" = OK ] ||
		fail "postmap -c $PFDIR -q does not work"
}

# map_q IP [MAP] - what Postfix finds for IP (value on stdout, "" if none)
map_q() {
	postmap -c "$PFDIR" -q "$1" "$MAPTYPE:$MAPDIR/${2:-popauth_checks}" 2>/dev/null
}

# map_has IP [MAP [VALUE]] - the map answers VALUE (default OK) for IP
map_has() {
	[ "$(map_q "$1" "${2:-popauth_checks}")" = "${3:-OK}" ]
}

# map_lacks IP [MAP] - the map is a valid table and has no entry for IP
map_lacks() {
	local out rc
	out=$(postmap -c "$PFDIR" -q "$1" "$MAPTYPE:$MAPDIR/${2:-popauth_checks}" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && [ -z "$out" ]
}

# map_valid [MAP] - postmap can open the table (an empty one is fine)
map_valid() {
	local sfx=.db
	[ "$MAPTYPE" = lmdb ] && sfx=.lmdb
	[ -s "$MAPDIR/${1:-popauth_checks}$sfx" ] &&
		postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/${1:-popauth_checks}" >/dev/null 2>&1
}

# map_count [MAP] - number of records in the table
map_count() {
	postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/${1:-popauth_checks}" 2>/dev/null | wc -l
}

# map_dump [MAP] - the records, for failure messages
map_dump() {
	postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/${1:-popauth_checks}" 2>&1 | head -n 20
}

# case_replay NAME [name=value...] - replay $T/NAME.log on a fresh state and
# maps, with its own log ($T/NAME.plog, also in LOG); fails on a non-zero exit
case_replay() {
	local name=$1
	shift
	rm -rf "$DATADIR" "$MAPDIR"
	pa_conf log_file="$T/$name.plog" "$@"
	LOG=$T/$name.plog
	pa_run 60 -c "$CONF" --replay "$T/$name.log"
	[ "$PA_RC" -eq 0 ] || fail "$name: replay exited $PA_RC: $(tail -3 "$T/run.err")"
}

# listed IP [TEXT] - rbl_checks answers "554 5.7.1 ..." for IP (containing TEXT)
listed() {
	local v
	v=$(map_q "$1" rbl_checks)
	case "$v" in
	"554 5.7.1 "?*) ;;
	*) return 1 ;;
	esac
	[ -z "${2:-}" ] || [[ "$v" == *"$2"* ]]
}

# log_has TEXT - the daemon's log file holds TEXT (fixed string)
log_has() {
	[ -f "$LOG" ] && grep -qF -- "$1" "$LOG"
}

# login_line USER IP [STAMP] - a Dovecot 2.3 POP3 login line as syslog writes it
login_line() {
	local stamp=${3:-$(date '+%b %e %H:%M:%S')}
	echo "$stamp vm dovecot: pop3-login: Login: user=<$1>, method=PLAIN, rip=$2, lip=$LIP, mpid=21631, session=<gOKkYutgQep/AAAC>"
}

# ctl_raw REQUEST - send REQUEST's bytes (write tabs and newlines with $'...')
# as one control connection to $T/control.sock, without popauthctl and its
# checks; prints the daemon's reply
ctl_raw() {
	python3 - "$T/control.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode(errors="replace"))
EOF
}

# pa_alive [PID] - the daemon runs (a zombie does not count)
pa_alive() {
	local pid=${1:-$PA_PID} st
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# pidfile_is PID - the pid file names PID
pidfile_is() {
	[ -s "$PIDFILE" ] && [ "$(head -n 1 "$PIDFILE")" = "$1" ]
}

# _pa_ready - FIFO and pid file are there, or the daemon died
_pa_ready() {
	pa_alive || return 0
	# input = journal or file: no FIFO; the pid file is written after the input opened
	{ [ -p "$FIFO" ] || grep -qE '^input = (journal|file)$' "$CONF"; } &&
		pidfile_is "$PA_PID"
}

# pa_start [ARGS...] - start "$POPAUTHD -f -c $CONF ARGS" in the background and
# wait until it has created the FIFO and written its pid file
pa_start() {
	[ -x "$POPAUTHD" ] || fail "$POPAUTHD is missing; run make"
	[ -f "$CONF" ] || pa_conf
	"$POPAUTHD" -f -c "$CONF" "$@" >>"$DAEMON_OUT" 2>&1 </dev/null &
	PA_PID=$!
	PA_PIDS+=("$PA_PID")
	wait_for -t 10 _pa_ready || fail "popauthd (pid $PA_PID) not ready after 10 s"
	pa_alive || {
		wait "$PA_PID"
		fail "popauthd exited at start with status $?"
	}
}

# pa_wait [SECS] - wait for the daemon (pid PA_PID) to exit by itself; exit
# status in PA_RC; it is killed after SECS (default 10) and PA_RC is then 137
pa_wait() {
	local secs=${1:-10} dog
	(sleep "$secs" && kill -KILL "$PA_PID" 2>/dev/null) >/dev/null 2>&1 &
	dog=$!
	wait "$PA_PID"
	PA_RC=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	return 0
}

# pa_stop - SIGTERM the daemon by pid and wait; status in PA_RC
pa_stop() {
	[ -n "$PA_PID" ] || return 0
	kill -TERM "$PA_PID" 2>/dev/null
	pa_wait 10
	PA_PID=
}

# pa_kill9 - SIGKILL the daemon, as a crash would
pa_kill9() {
	kill -KILL "$PA_PID" 2>/dev/null
	wait "$PA_PID" 2>/dev/null
	PA_PID=
}

# pa_run SECS ARGS... - run popauthd in the foreground, expecting it to exit by
# itself within SECS; status in PA_RC, stdout in $T/run.out, stderr in $T/run.err
pa_run() {
	local secs=$1
	shift
	timeout -k 2 "$secs" "$POPAUTHD" "$@" >"$T/run.out" 2>"$T/run.err" </dev/null
	PA_RC=$?
}

# pa_feed LINE... - write lines into the FIFO (gives up after 5 s: a writer
# blocks forever when nobody reads)
pa_feed() {
	printf '%s\n' "$@" | timeout 5 bash -c 'cat >"$1"' _ "$FIFO" ||
		fail "cannot write into $FIFO (is popauthd reading it?)"
}

# pa_feed_raw FILE - write a file's bytes into the FIFO as they are
pa_feed_raw() {
	timeout 5 bash -c 'cat "$1" >"$2"' _ "$1" "$FIFO" ||
		fail "cannot write into $FIFO (is popauthd reading it?)"
}

# cpu_ticks PID - utime + stime of PID in clock ticks
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat") || return 1
	st=${st##*) }
	set -- $st
	# after "pid (comm) ": state is $1, utime is field 14 -> $12, stime $13
	echo $((${12} + ${13}))
}

# kill9_rounds N MAXMS - N times: let the daemon run a random 20..MAXMS ms,
# then kill -9 it and start it again (a crash at a random point)
kill9_rounds() {
	local n=$1 max=$2 i ms
	for ((i = 0; i < n; i++)); do
		ms=$((20 + RANDOM % (max - 20)))
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		pa_kill9
		pa_start
	done
}

# map_ips - the addresses in the relay map (postmap -s), sorted
map_ips() {
	postmap -c "$PFDIR" -s "$MAPTYPE:$MAPDIR/popauth_checks" 2>/dev/null |
		awk '{ print $1 }' | sort -u
}

# granted_once_each LIST - every address in the file LIST (one a line) is in
# the map; the log has at most one grant line for each and no "refreshed"
# line (a login read twice would log that).  A grant line may be missing:
# engine.c writes a grant's line once its commit returned, so a kill -9 while
# the commit syncs keeps the grant (state, map) and loses the line; their
# number is printed (LOST_LINES) and must stay at most $2 (default 0)
granted_once_each() {
	local want=$T/want.ips bad n
	sort -u "$1" >"$want"
	n=$(wc -l <"$want")
	map_ips >"$T/map.ips"
	bad=$(comm -23 "$want" "$T/map.ips")
	[ -z "$bad" ] || fail "$(echo "$bad" | wc -l) of $n logins not in the map: $(echo "$bad" | head -5 | tr '\n' ' ')"
	sed -nE 's/.* a new relay session from ([^ ]+)$/\1/p' "$LOG" | sort | uniq -c |
		awk '{ print $2, $1 }' >"$T/grants.count"
	bad=$(awk '$2 != 1' "$T/grants.count")
	[ -z "$bad" ] || fail "granted more than once: $(echo "$bad" | head -5 | tr '\n' ' ')"
	bad=$(grep -F "has refreshed authentication" "$LOG" | head -3)
	[ -z "$bad" ] || fail "a login was read twice: $bad"
	LOST_LINES=$(comm -23 "$want" <(awk '{ print $1 }' "$T/grants.count" | sort) | wc -l)
	note "$n logins: each in the map, none granted twice; $LOST_LINES grant lines lost with a kill during a commit"
	[ "$LOST_LINES" -le "${2:-0}" ] || fail "$LOST_LINES grant lines missing, more than ${2:-0}"
}

# _lib_cleanup - on exit, no daemon started by this test survives it
_lib_cleanup() {
	local pid
	for pid in "${PA_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	for pid in "${PA_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pa_alive "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
}
trap _lib_cleanup EXIT

[ -x "$POPAUTHD" ] || skip "$POPAUTHD is missing; run make"
