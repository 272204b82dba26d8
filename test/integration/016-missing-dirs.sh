#!/bin/bash
# 016-missing-dirs - a fifo_path, pid_file or control_socket in a directory
# that does not exist yet: the directory is made (0755), as map_directory
# is, and the daemon runs; a pid file that cannot be made is exit 73, while
# 75 stays "another popauthd runs" alone.
. "$(dirname "$0")/lib.sh"

pf_dir
CTL=${POPAUTHCTL:-$REPO/popauthd/popauthctl}
FIFO=$T/run/a/maillog.fifo
PIDFILE=$T/run/b/popauthd.pid
pa_conf control_socket="$T/run/c/control.sock"
pa_start
for d in "$T/run/a" "$T/run/b" "$T/run/c"; do
	[ -d "$d" ] || fail "$d not made"
	[ "$(stat -c %a "$d")" = 755 ] || fail "$d has mode $(stat -c %a "$d"), want 755"
done
pa_feed "$(login_line alice 192.0.2.61)"
wait_for map_has 192.0.2.61 || fail "no grant through the FIFO in a made directory"
"$CTL" -c "$CONF" status >/dev/null || fail "popauthctl status through the socket in a made directory"

note "75 means another popauthd runs"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 75 ] || fail "a second daemon: exit $PA_RC, want 75"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "a pid file that cannot be made: 73, not 75"
: >"$T/plainfile"
PIDFILE=$T/plainfile/popauthd.pid
pa_conf control_socket="$T/run/c/control.sock"
pa_run 10 -f -c "$CONF"
[ "$PA_RC" -eq 73 ] || fail "uncreatable pid file: exit $PA_RC, want 73"
grep -qF "$T/plainfile/popauthd.pid" "$T/run.err" || fail "the error does not name the pid file: $(cat "$T/run.err")"
exit 0
