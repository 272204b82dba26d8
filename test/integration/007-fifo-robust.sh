#!/bin/bash
# 007-fifo-robust - the FIFO reader survives what syslog and attackers do to
# it: writers that close and reopen, an idle FIFO (no busy loop), over-long
# lines (dropped with a warning, the next line is fine, the rest of the long
# line is never a line of its own), NUL bytes and invalid UTF-8; and it refuses
# to start when fifo_path is not a FIFO, without removing that file.
. "$(dirname "$0")/lib.sh"

pf_dir
pa_conf
pa_start

note "30 writers, each opening and closing the FIFO"
for i in $(seq 1 30); do
	pa_feed "$(login_line "user$i" "198.51.100.$i")"
done
wait_for map_has 198.51.100.30 || fail "last writer's login not granted"
for i in $(seq 1 30); do
	map_has "198.51.100.$i" || fail "198.51.100.$i not granted: $(map_dump)"
done

note "idle with no writer: little CPU"
t1=$(cpu_ticks "$PA_PID") || fail "cannot read /proc/$PA_PID/stat"
sleep 2 # the measuring window, not an assertion
t2=$(cpu_ticks "$PA_PID") || fail "daemon died while idle"
note "$((t2 - t1)) ticks in 2 s"
[ $((t2 - t1)) -lt 50 ] || fail "daemon used $((t2 - t1)) ticks in 2 s idle (busy loop on EOF?)"

note "a 20 KiB line, then a login"
python3 -c 'print("Nov 23 06:05:52 vm postfix/smtpd[1]: " + "A" * 20480)' >"$T/long.txt"
login_line alice 192.0.2.10 >>"$T/long.txt"
pa_feed_raw "$T/long.txt"
wait_for map_has 192.0.2.10 || fail "login after a 20 KiB line not granted"
wait_for grep -qiE 'warning: .*(longer than|too long|over-?long)' "$LOG" ||
	fail "no warning about the over-long line in $LOG"

note "the tail of an over-long line is not a line"
: >"$T/tails.txt"
n=70
for pad in 4095 4096 8191 8192 16383 16384 16385 16386 20000 32768 65536; do
	python3 -c 'import sys; sys.stdout.write("A" * int(sys.argv[1]))' "$pad" >>"$T/tails.txt"
	login_line mallory "192.0.2.$n" >>"$T/tails.txt"
	n=$((n + 1))
done
login_line alice 192.0.2.11 >>"$T/tails.txt"
pa_feed_raw "$T/tails.txt"
wait_for map_has 192.0.2.11 || fail "login after the padded lines not granted"
for i in $(seq 70 $((n - 1))); do
	map_lacks "192.0.2.$i" || fail "the tail of an over-long line was granted: 192.0.2.$i"
done

note "NUL bytes and invalid UTF-8, then a login"
{
	printf 'junk\000\001\377\376 more \000junk\n'
	printf '\000\000\000\n'
	printf 'Nov 23 06:05:52 vm postfix/smtpd[1]: caf\303\251 \300\257 \355\240\200 \377\n'
	printf 'Nov 23 06:05:52 vm postfix/smtpd[1]: warning: helo=<x\000%s>\n' "$(login_line mallory 192.0.2.79)"
	printf 'Nov 23 06:05:52 vm dovecot: pop3-login: Login: user=<\377\000\376>, method=PLAIN, rip=192.0.2.12, lip=%s, mpid=1, session=<AAAA>\n' "$LIP"
	login_line bob 192.0.2.13
} >"$T/binary.txt"
pa_feed_raw "$T/binary.txt"
wait_for map_has 192.0.2.13 || fail "login after binary junk not granted: $(map_dump)"
map_lacks 192.0.2.79 || fail "text after a NUL byte was read as a line of its own: 192.0.2.79 granted"
pa_alive || fail "daemon died"
grep -q 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "$LOG" &&
	fail "a long line was copied into the log"

note "a line written in two pieces is joined"
line=$(login_line erin 192.0.2.14)
timeout 5 bash -c '{ printf "%s" "${1:0:40}"; sleep 0.3; printf "%s\n" "${1:40}"; } >"$2"' _ "$line" "$FIFO" ||
	fail "cannot write into $FIFO"
wait_for map_has 192.0.2.14 || fail "a line written in two pieces was not joined"

note "a login line just under 16 KiB is still processed"
python3 -c 'import sys; print(sys.argv[1].replace("session=<", "session=<" + "s" * (16000 - len(sys.argv[1]))))' \
	"$(login_line frank 192.0.2.15)" >"$T/near.txt"
[ "$(wc -c <"$T/near.txt")" -eq 16001 ] || fail "test bug: near-limit line is $(wc -c <"$T/near.txt") bytes"
pa_feed_raw "$T/near.txt"
wait_for map_has 192.0.2.15 || fail "a 16000-byte login line was not processed"

note "the FIFO is removed: the daemon makes a new one and reads it"
rm -f "$FIFO"
wait_for -t 20 test -p "$FIFO" || fail "the removed FIFO was not recreated within 20 s"
pa_feed "$(login_line grace 192.0.2.16)"
wait_for map_has 192.0.2.16 || fail "no grant through the recreated FIFO"
pa_alive || fail "daemon died"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "fifo_path is a regular file: refused, and the file is kept"
echo "precious data" >"$T/regular"
pa_conf fifo_path="$T/regular" pid_file="$T/other.pid"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -ne 0 ] || fail "started with fifo_path a regular file"
[ "$PA_RC" -ne 124 ] || fail "did not refuse (still running after 10 s)"
[ "$PA_RC" -lt 128 ] || fail "refusal ended by a signal/abort (exit $PA_RC): $(head -n 5 "$T/run.err")"
[ -f "$T/regular" ] || fail "the regular file at fifo_path was removed or replaced"
[ "$(cat "$T/regular")" = "precious data" ] || fail "the regular file at fifo_path was changed"
grep -qF "$T/regular" "$T/run.err" || fail "the refusal does not name the path: $(cat "$T/run.err")"
exit 0
