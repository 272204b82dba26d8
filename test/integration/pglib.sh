# pglib.sh - a private PostgreSQL and several popauthd nodes for the cluster
# tests (sourced after lib.sh by test/integration/11N-*.sh).
#
# pg_up starts a PostgreSQL 15 of our own: initdb in a temp dir owned by the
# postgres user, a unix socket in that dir only (listen_addresses = ''), no
# TCP port; it is stopped by its PID (pg_down, and at exit), never through
# the host's service.  The host's own PostgreSQL and Postfix are never
# touched.  node_conf/node_start run popauthd nodes A, B, C... each with its
# own dirs under $T/NAME and the same cluster_database.
#
# Variables: PGD (data dir), PGS (socket dir), PGPORT, PGDB, PGCONN (libpq
# conninfo), NODE_PID[NAME].
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || skip "PostgreSQL 15 is not installed (scripts/install-deps)"
id postgres >/dev/null 2>&1 || skip "no postgres user (package postgresql)"
need psql runuser

PGTOP=$(mktemp -d /tmp/popauthd-pg.XXXXXX)
PGD=$PGTOP/data
PGS=$PGTOP/sock
PGPORT=$((50000 + RANDOM % 10000))
PGDB=popauthd
PGCONN="host=$PGS port=$PGPORT dbname=$PGDB user=postgres connect_timeout=5"
declare -A NODE_PID=()

# pg_pid - the postmaster's PID (first line of postmaster.pid), or nothing
pg_pid() {
	[ -s "$PGD/postmaster.pid" ] && head -n 1 "$PGD/postmaster.pid"
}

# pg_up - initdb once, then start; waits until it accepts connections
pg_up() {
	if [ ! -d "$PGD" ]; then
		chown postgres "$PGTOP"
		runuser -u postgres -- mkdir -p "$PGD" "$PGS"
		runuser -u postgres -- "$PGBIN/initdb" -D "$PGD" -A trust -U postgres \
			>"$T/initdb.out" 2>&1 || fail "initdb: $(tail -3 "$T/initdb.out")"
	fi
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD" -l "$PGTOP/pg.log" -w -t 30 \
		-o "-k $PGS -c listen_addresses= -p $PGPORT -c fsync=off" start \
		>"$T/pgctl.out" 2>&1 || fail "PostgreSQL did not start: $(tail -5 "$PGTOP/pg.log")"
	if ! psql -X -q -h "$PGS" -p "$PGPORT" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$PGDB'" | grep -q 1; then
		psql -X -q -h "$PGS" -p "$PGPORT" -U postgres -d postgres \
			-c "CREATE DATABASE $PGDB" >/dev/null || fail "createdb failed"
	fi
}

# pg_down - stop the server by its PID (fast shutdown), wait until it is gone
pg_down() {
	local pid
	pid=$(pg_pid) || return 0
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	for _ in $(seq 1 300); do
		pa_alive "$pid" || break
		sleep 0.05
	done
	pa_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	rm -f "$PGD/postmaster.pid"
	return 0
}

# sql TEXT - run TEXT in the test database; rows as "a|b" lines
sql() {
	psql -X -q -h "$PGS" -p "$PGPORT" -U postgres -d "$PGDB" -tA -v ON_ERROR_STOP=1 -c "$1"
}

# node_conf NAME [name=value...] - config of node NAME in $T/NAME
node_conf() {
	local n=$1 d=$T/$1
	shift
	mkdir -p "$d/data" "$d/maps"
	{
		echo "# node $n, written by test/integration/pglib.sh"
		echo "fifo_path = $d/maillog.fifo"
		echo "data_directory = $d/data"
		echo "map_directory = $d/maps"
		echo "rules_directory = $REPO/etc/rules"
		echo "log_file = $d/popauthd.log"
		echo "pid_file = $d/popauthd.pid"
		echo "control_socket = $d/control.sock"
		echo "whitelist_file ="
		echo "firewall_backend = none"
		echo "run_as_user ="
		echo "alert_smtp_server ="
		echo "cluster_database = $PGCONN"
		echo "cluster_node = $n"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$d/popauthd.conf"
}

# node_start NAME [ENV=VALUE...] - start node NAME; waits for its FIFO and pid file
node_start() {
	local n=$1 d=$T/$1 pid
	shift
	env "$@" "$POPAUTHD" -f -c "$d/popauthd.conf" >>"$d/daemon.out" 2>&1 </dev/null &
	pid=$!
	NODE_PID[$n]=$pid
	PA_PIDS+=("$pid")
	wait_for -t 10 _node_ready "$n" || fail "node $n (pid $pid) not ready after 10 s: $(tail -5 "$d/daemon.out")"
}

_node_ready() {
	local d=$T/$1 pid=${NODE_PID[$1]}
	pa_alive "$pid" || return 0
	[ -p "$d/maillog.fifo" ] && [ -s "$d/popauthd.pid" ] && [ "$(head -n 1 "$d/popauthd.pid")" = "$pid" ]
}

# node_stop NAME - SIGTERM, wait; node_kill9 NAME - as a crash would
node_stop() {
	local pid=${NODE_PID[$1]}
	kill -TERM "$pid" 2>/dev/null
	PA_PID=$pid
	pa_wait 15
	[ "$PA_RC" -eq 0 ] || fail "node $1: exit $PA_RC on SIGTERM: $(tail -5 "$T/$1/daemon.out")"
}
node_kill9() {
	kill -KILL "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
}

# node_alive NAME
node_alive() {
	pa_alive "${NODE_PID[$1]}"
}

# node_feed NAME LINE... - write log lines into node NAME's FIFO
node_feed() {
	local n=$1
	shift
	printf '%s\n' "$@" | timeout 5 bash -c 'cat >"$1"' _ "$T/$n/maillog.fifo" ||
		fail "cannot write into node $n's FIFO"
}

# node_q NAME IP [MAP] - what Postfix finds in node NAME's map
node_q() {
	postmap -c "$PFDIR" -q "$2" "hash:$T/$1/maps/${3:-popauth_checks}" 2>/dev/null
}
# node_has NAME IP [MAP [VALUE]] - node NAME's map answers VALUE (default OK)
node_has() {
	[ "$(node_q "$1" "$2" "${3:-popauth_checks}")" = "${4:-OK}" ]
}
# node_lacks NAME IP [MAP] - node NAME's map is valid and has no entry for IP
node_lacks() {
	local out rc
	out=$(postmap -c "$PFDIR" -q "$2" "hash:$T/$1/maps/${3:-popauth_checks}" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && [ -z "$out" ]
}
# node_listed NAME IP - node NAME's rbl_checks answers "554 ..." for IP
node_listed() {
	case "$(node_q "$1" "$2" rbl_checks)" in
	"554 "?*) return 0 ;;
	*) return 1 ;;
	esac
}

# node_ctl NAME ARGS... - popauthctl against node NAME
node_ctl() {
	local n=$1
	shift
	"$REPO/popauthd/popauthctl" -c "$T/$n/popauthd.conf" "$@"
}

# node_stat NAME KEY - one popauthctl status value of node NAME
node_stat() {
	node_ctl "$1" status 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }'
}

# node_log_has NAME TEXT - node NAME's log holds TEXT
node_log_has() {
	grep -qF -- "$2" "$T/$1/popauthd.log" 2>/dev/null
}

# node_dump NAME - its map and log tail, for failure messages
node_dump() {
	echo "node $1 map: $(postmap -c "$PFDIR" -s "hash:$T/$1/maps/popauth_checks" 2>&1 | head -5 | tr '\n' ' ')"
	echo "node $1 log: $(tail -n 5 "$T/$1/popauthd.log" 2>/dev/null | tr '\n' ' ')"
}

_pg_cleanup() {
	_lib_cleanup
	pg_down
	cp "$PGTOP/pg.log" "$T/pg.log" 2>/dev/null # kept with a failed test's files
	rm -rf "$PGTOP"
}
trap _pg_cleanup EXIT
