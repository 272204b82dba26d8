#!/bin/bash
# 017-lmdb-grant - map_type = lmdb: what Postfix's own lmdb: reader (postmap
# -q, postfix-lmdb) sees.  A login is visible promptly; the table is changed
# in place (same inode, no temporary file); a refresh and an expiry behave as
# with hash:; concurrent postmap readers during a stream of grants never get
# an error; a restart reconciles the table with the state (a stray key is
# removed, a missing grant is written again); a table LMDB cannot open is set
# aside and written again from the state.
. "$(dirname "$0")/lib.sh"

MAPTYPE=lmdb # read by lib.sh's map_* helpers
export MAPTYPE
pf_dir
postconf -c "$PFDIR" -m 2>/dev/null | grep -qx lmdb || skip "postfix-lmdb is not installed"
MAXMS=${PA_LATENCY_MAX_MS:-500}
L="$MAPDIR/popauth_checks.lmdb"

note "start; both tables created empty and valid, no hash: files"
pa_conf map_type=lmdb popauth_expire=30m
pa_start
map_valid popauth_checks || fail "popauth_checks.lmdb is not a valid table at start"
map_valid rbl_checks || fail "rbl_checks.lmdb is not a valid table at start"
[ ! -e "$MAPDIR/popauth_checks.db" ] || fail "a hash: table was written too"
[ "$(map_count)" -eq 0 ] || fail "popauth_checks is not empty at start: $(map_dump)"
ino=$(stat -c %i "$L")

note "IPv4 and IPv6 logins"
pa_feed "$(login_line alice@example.org 192.0.2.10)"
wait_for map_has 192.0.2.10 || fail "192.0.2.10 not granted: $(map_dump)"
note "granted after ${WAITED_MS} ms"
[ "$WAITED_MS" -le "$MAXMS" ] || fail "grant took ${WAITED_MS} ms (limit $MAXMS)"
wait_for log_has "alice@example.org has authenticated a new relay session from 192.0.2.10" ||
	fail "log lacks the new-session line"
pa_feed "$(login_line bob6 2001:DB8:0:0:0:0:0:6)"
wait_for map_has 2001:db8::6 || fail "2001:DB8::6 not granted as 2001:db8::6: $(map_dump)"
[ "$(stat -c %i "$L")" = "$ino" ] || fail "popauth_checks.lmdb was replaced, not changed in place"
ls "$MAPDIR" | grep -q 'tmp' && fail "temporary files in $MAPDIR: $(ls "$MAPDIR")"

note "keys and values carry their NUL, as postmap writes them"
/usr/bin/python3 -c "import lmdb" 2>/dev/null || skip "python3-lmdb is not installed"
/usr/bin/python3 - "$L" <<'PY' || fail "records without their trailing NUL"
import lmdb, sys
e = lmdb.open(sys.argv[1], subdir=False, lock=False, readonly=True)
with e.begin() as t:
    for k, v in t.cursor():
        assert k.endswith(b"\0") and v == b"OK\0", (k, v)
PY

note "repeat login: still granted, logged as a refresh"
pa_feed "$(login_line alice@example.org 192.0.2.10)"
wait_for -t 5 grep -qE 'alice@example\.org has refreshed authentication for .* from 192\.0\.2\.10 x 2' "$LOG" ||
	fail "log lacks the refresh line"
map_has 192.0.2.10 || fail "192.0.2.10 lost by the refresh"

note "a stream of grants under concurrent postmap -q readers"
for r in 1 2 3; do
	(
		end=$(($(date +%s) + 4))
		n=0
		while [ "$(date +%s)" -lt "$end" ]; do
			out=$(postmap -c "$PFDIR" -q 192.0.2.10 "lmdb:$MAPDIR/popauth_checks" 2>&1)
			[ "$out" = OK ] || { echo "reader $r: [$out]" >"$T/reader.err"; exit 1; }
			postmap -c "$PFDIR" -s "lmdb:$MAPDIR/popauth_checks" >/dev/null 2>"$T/s.$r" ||
				{ echo "reader $r -s: $(cat "$T/s.$r")" >"$T/reader.err"; exit 1; }
			n=$((n + 1))
		done
		echo "$n" >"$T/reads.$r"
	) &
	readers="${readers:-} $!"
done
awk -v stamp="$(date '+%b %e %H:%M:%S')" -v lip="$LIP" 'BEGIN {
	for (i = 0; i < 3000; i++)
		printf "%s vm dovecot: pop3-login: Login: user=<u%d>, method=PLAIN, rip=10.9.%d.%d, lip=%s, mpid=1, session=<x>\n", stamp, i, int(i / 250), i % 250 + 1, lip
}' >"$T/stream"
# in 20 bursts over ~3 s, so the readers overlap many write transactions
split -n l/20 -d "$T/stream" "$T/burst."
exec 9>"$FIFO"
for b in "$T"/burst.*; do
	cat "$b" >&9
	sleep 0.15
done
exec 9>&-
# shellcheck disable=SC2086
wait $readers
[ ! -e "$T/reader.err" ] || fail "a reader failed: $(cat "$T/reader.err")"
note "readers made $(cat "$T"/reads.* | paste -sd+ | bc) lookup rounds without an error"
wait_for -t 20 map_has 10.9.11.250 || fail "the last streamed grant is not visible"
[ "$(map_count)" -eq 3002 ] || fail "want 3002 grants, have $(map_count)"

note "restart reconciles the table with the state"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
printf '203.0.113.99 OK\n' | postmap -c "$PFDIR" -i "lmdb:$MAPDIR/popauth_checks"
postmap -c "$PFDIR" -d 10.9.0.1 "lmdb:$MAPDIR/popauth_checks"
map_has 203.0.113.99 || fail "could not plant a stray key"
pa_start
wait_for map_lacks 203.0.113.99 || fail "the stray key survived the start"
wait_for map_has 10.9.0.1 || fail "a grant removed by hand was not written again"
[ "$(map_count)" -eq 3002 ] || fail "want 3002 grants after restart, have $(map_count)"
pa_stop

note "expiry: popauth_expire = 2s"
pa_conf map_type=lmdb popauth_expire=2s
pa_start
pa_feed "$(login_line frank 192.0.2.20)"
wait_for map_has 192.0.2.20 || fail "192.0.2.20 not granted"
t0=$(now_ms)
wait_for -t 15 map_lacks 192.0.2.20 || fail "192.0.2.20 still granted 15 s after a 2 s expiry"
held=$(($(now_ms) - t0))
note "grant held ${held} ms"
[ "$held" -ge 900 ] || fail "grant removed after ${held} ms, before its 2 s expiry"
wait_for log_has "Relay authorization for 192.0.2.20 has expired and has been removed" ||
	fail "log lacks the expiry line"
map_valid || fail "map is not a valid table after expiry"

note "the table removed by hand is written again"
rm -f "$L"
wait_for -t 15 map_valid || fail "popauth_checks.lmdb not recreated"
pa_feed "$(login_line gina 192.0.2.21)"
wait_for map_has 192.0.2.21 || fail "grant after the removal not visible: $(map_dump)"
pa_alive || fail "daemon died"
pa_stop

note "an unreadable table (a power loss before the batched sync) is set aside and written again"
head -c 65536 /dev/urandom >"$L"
pa_start
wait_for map_has 192.0.2.21 || fail "grant not written again into a new table: $(map_dump)"
[ -s "$L.bad" ] || fail "the unreadable table was not kept as $L.bad"
log_has "popauth_checks.lmdb: unreadable; moved to" || fail "log does not say the table was set aside"
map_valid || fail "the new table is not valid"
pa_stop
exit 0
