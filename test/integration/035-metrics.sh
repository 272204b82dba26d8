#!/bin/bash
# 035-metrics - metrics_file: the daemon writes its counters in the
# Prometheus text format (parsed here with prometheus_client's own parser,
# as node_exporter's textfile collector would read them), every
# metrics_interval and at exit, always whole: a reader polling the file
# while it is rewritten never sees a partial one.
. "$(dirname "$0")/lib.sh"

pf_dir
# the Debian package: /usr/bin/python3, not a python3 earlier in PATH
PY=/usr/bin/python3
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client is not installed"
PROM=$T/textfile/popauthd.prom
mkdir -p "$T/textfile"
SMTPD='vm postfix/smtpd[1574]: NOQUEUE: reject:'
rbl() { # IP - a Postfix 3.x DNSBL reject now
	echo "$(date '+%b %e %H:%M:%S') $SMTPD RCPT from unknown[$1]: 554 5.7.1 Service unavailable; Client host [$1] blocked using zen.spamhaus.org; r-$1; from=<a@b.example> to=<c@example.org> proto=ESMTP helo=<x>"
}

# prom EXPR... - parse $PROM; each EXPR (python, over v(name, **labels) and
# fams) must be true; prints what failed
prom() {
	"$PY" - "$PROM" "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
def v(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == x for k, x in labels.items()):
                return s.value
    return None
bad = [e for e in sys.argv[2:] if not eval(e)]
if bad:
    print("failed: %s" % bad)
    sys.exit(1)
PY
}

note "written at start, before any line"
pa_conf metrics_file="$PROM" metrics_interval=1s
pa_start
wait_for test -s "$PROM" || fail "$PROM not written"
prom 'v("popauthd_lines_total") == 0' 'v("popauthd_grants") == 0' ||
	fail "bad counters at start: $(cat "$PROM")"

note "HELP and TYPE for every family, every name popauthd_"
prom 'all(n.startswith("popauthd_") for n in fams)' \
	'all(f.documentation and f.type in ("counter", "gauge", "histogram") for f in fams.values())' \
	'len([1 for l in text.splitlines() if l.startswith("# HELP ")]) == len(fams)' \
	'len([1 for l in text.splitlines() if l.startswith("# TYPE ")]) == len(fams)' ||
	fail "HELP/TYPE: $(cat "$PROM")"
for f in lines unparsed events alerts map_write_failures state_commit_failures \
	firewall_failures dropped_lines; do
	grep -q "^# TYPE popauthd_${f}_total counter$" "$PROM" || fail "no counter popauthd_${f}_total"
done
for f in grants blacklist_entries bans; do
	grep -q "^# TYPE popauthd_$f gauge$" "$PROM" || fail "no gauge popauthd_$f"
done
grep -q '^# TYPE popauthd_map_flush_seconds histogram$' "$PROM" || fail "no histogram"

note "3 logins, 2 DNSBL rejects, 2 junk lines: 7 lines"
pa_feed "$(login_line alice 192.0.2.10)" "$(login_line bob 192.0.2.11)" \
	"not a log line" "$(rbl 198.51.100.1)" "$(login_line carol 2001:db8::5)" \
	"also not one" "$(rbl 198.51.100.2)"
wait_for map_has 2001:db8::5 || fail "2001:db8::5 not granted"
wait_for listed 198.51.100.2 || fail "198.51.100.2 not listed"
settled() { prom 'v("popauthd_lines_total") == 7' >/dev/null; }
wait_for -t 5 settled || fail "lines_total is not 7 after 5 s: $(cat "$PROM")"
prom 'v("popauthd_unparsed_total") == 2' \
	'v("popauthd_events_total", kind="login") == 3' \
	'v("popauthd_events_total", kind="rbl_reject") == 2' \
	'v("popauthd_matched_total") == 5' \
	'v("popauthd_grants") == 3' \
	'v("popauthd_blacklist_entries") == 2' \
	'v("popauthd_bans") == 0' \
	'v("popauthd_map_flush_seconds_count") >= 2' \
	'v("popauthd_map_flush_seconds_bucket", le="+Inf") == v("popauthd_map_flush_seconds_count")' \
	'v("popauthd_map_write_failures_total") == 0' \
	'v("popauthd_state_commit_failures_total") == 0' ||
	fail "counters: $(cat "$PROM")"

note "replaced whole: a reader polling across rewrites never sees a partial file"
ino=$(stat -c %i "$PROM")
"$PY" - "$PROM" <<'PY' || fail "a partial metrics file was seen"
import sys, time, os
from prometheus_client.parser import text_string_to_metric_families
end = time.time() + 2.5
n = 0
inodes = set()
while time.time() < end:
    try:
        st = os.stat(sys.argv[1])
        text = open(sys.argv[1]).read()
    except FileNotFoundError:
        sys.exit("the file was missing for a moment")
    inodes.add(st.st_ino)
    fams = list(text_string_to_metric_families(text))
    if not text.endswith("\n") or "popauthd_metrics_write_failures" not in [f.name for f in fams]:
        sys.exit("partial read after %d reads" % n)
    n += 1
if len(inodes) < 2:
    sys.exit("not rewritten (one inode) in 2.5 s")
print("--- %d whole reads, %d versions" % (n, len(inodes)))
PY
[ "$(stat -c %i "$PROM")" != "$ino" ] || fail "rewritten in place, not renamed over"
ls "$T/textfile" | grep -qv '^popauthd.prom$' && fail "files left: $(ls "$T/textfile")"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"

note "written at exit: metrics_interval = 1h"
pa_conf metrics_file="$PROM" metrics_interval=1h
pa_start
wait_for test -s "$PROM" || fail "$PROM not written"
pa_feed "$(login_line dave 192.0.2.20)"
wait_for map_has 192.0.2.20 || fail "192.0.2.20 not granted"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
prom 'v("popauthd_lines_total") == 1' 'v("popauthd_events_total", kind="login") == 1' ||
	fail "exit write: $(cat "$PROM")"

note "an unwritable directory: warned, counted, the daemon carries on"
pa_conf metrics_file="$T/nodir/popauthd.prom" metrics_interval=1s
pa_start
wait_for log_has "cannot write metrics" || fail "no warning for an unwritable metrics_file"
pa_feed "$(login_line erin 192.0.2.21)"
wait_for map_has 192.0.2.21 || fail "192.0.2.21 not granted"
pa_alive || fail "daemon died"
pa_stop
[ "$PA_RC" -eq 0 ] || fail "SIGTERM: exit $PA_RC"
exit 0
