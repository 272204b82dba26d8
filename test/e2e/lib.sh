# lib.sh - shell helpers for test/e2e/run: results, polling with deadlines, PIDs, ports.
#
# Sourced (POSIX sh + the few bash features run uses).  Nothing here starts a daemon;
# rig.sh does, and records every PID it started in $RIG/pids/NAME (one line: PID COMM)
# so that rig_down stops exactly those, never anything found by name.
# Errors: helpers return non-zero, callers turn that into a FAIL line.

E2E_PASS=0
E2E_FAIL=0
E2E_SKIP=0

# pass/fail/skip - one result line per check; "fail" also says why
pass() {
	E2E_PASS=$((E2E_PASS + 1))
	printf 'PASS %s\n' "$*"
}
fail() {
	E2E_FAIL=$((E2E_FAIL + 1))
	printf 'FAIL %s\n' "$*"
}
skip() {
	E2E_SKIP=$((E2E_SKIP + 1))
	printf 'SKIP: %s\n' "$*"
}
note() {
	printf '     %s\n' "$*"
}
# indent - prefix a block of output (client transcripts, log tails)
indent() {
	sed 's/^/     | /'
}

now() {
	date +%s.%N
}
# elapsed START - seconds since START (a now() value), 3 decimals
elapsed() {
	awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'
}

# wait_until SECS CMD... - run CMD every 0.1 s until it succeeds; 1 on deadline
wait_until() {
	_wu_end=$(awk -v n="$(now)" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
	shift
	while :; do
		"$@" && return 0
		if awk -v n="$(now)" -v e="$_wu_end" 'BEGIN { exit !(n >= e) }'; then
			return 1
		fi
		sleep 0.1
	done
}

# pid_alive PID - running and not a zombie (PID 1 here reaps orphans only every ~2 s)
pid_alive() {
	[ -n "$1" ] || return 1
	_pa_st=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ -n "$_pa_st" ] && [ "$_pa_st" != Z ] && [ "$_pa_st" != X ]
}
pid_gone() {
	! pid_alive "$1"
}
# pid_comm PID - the process name, empty when gone
pid_comm() {
	cat "/proc/$1/comm" 2>/dev/null || true
}

# pid_record NAME PID COMM - remember a PID we started and the comm it has once it
# has exec'd (stop_pid signals it only while it still has that name)
pid_record() {
	printf '%s %s\n' "$2" "$3" >"$RIG/pids/$1"
	# we track it by PID; keep bash from reporting "Killed" when a test kills it
	disown "$2" 2>/dev/null || true
}
# pid_cpu PID - user+system CPU time in clock ticks (0 when gone)
pid_cpu() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# pid_of NAME - the recorded PID, empty if none
pid_of() {
	[ -r "$RIG/pids/$1" ] && read -r _po_pid _po_comm <"$RIG/pids/$1" &&
	    printf '%s\n' "$_po_pid"
}

# stop_pid NAME [SIGNAL] [SECS] - signal the recorded PID if it still is the process
# we started (same comm), wait for it to go, then SIGKILL; forget it
stop_pid() {
	_sp_f=$RIG/pids/$1
	[ -r "$_sp_f" ] || return 0
	read -r _sp_pid _sp_comm <"$_sp_f"
	if pid_alive "$_sp_pid" && [ "$(pid_comm "$_sp_pid")" = "$_sp_comm" ]; then
		kill "-${2:-TERM}" "$_sp_pid" 2>/dev/null || true
		if ! wait_until "${3:-10}" pid_gone "$_sp_pid"; then
			note "$1 (pid $_sp_pid) ignored SIG${2:-TERM}; SIGKILL"
			kill -KILL "$_sp_pid" 2>/dev/null || true
			wait_until 5 pid_gone "$_sp_pid" || true
		fi
	fi
	rm -f "$_sp_f"
}

# port_busy PROTO PORT - something listens on PORT (any address); PROTO t or u
port_busy() {
	ss -Hl"$1"n "( sport = :$2 )" 2>/dev/null | grep -q .
}
# pick_port DEFAULT - DEFAULT, or DEFAULT+100, +200, ... whichever is free (TCP)
pick_port() {
	_pp=$1
	for _pp_i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		if ! port_busy t "$_pp"; then
			printf '%s\n' "$_pp"
			return 0
		fi
		_pp=$(($1 + 100 * (_pp_i + 1)))
	done
	return 1
}
# pick_dns_addr - a 127.0.0.x with nothing on port 53 (UDP or TCP), from 127.0.0.153 up
pick_dns_addr() {
	_pd_used=$( (ss -Hlun "( sport = :53 )"; ss -Hltn "( sport = :53 )") 2>/dev/null |
	    awk '{ print $4 }')
	for _pd_i in 153 154 155 156 157 158 159 160 161 162; do
		case "$_pd_used" in
		*"127.0.0.$_pd_i:53"* | *"0.0.0.0:53"* | *"*:53"*) ;;
		*)
			printf '127.0.0.%s\n' "$_pd_i"
			return 0
			;;
		esac
	done
	return 1
}
# listening PROTO ADDR:PORT - a socket listens there (ADDR as ss prints it: [::1])
listening() {
	ss -Hl"$1"n 2>/dev/null | awk '{ print $4 }' | grep -qxF "$2"
}
