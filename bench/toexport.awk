# toexport.awk - genlog's syslog lines as journal export entries (the
# format systemd-journal-remote reads), for bench/run's live journal row:
# mail facility, the line's host, tag and pid as journald keeps them,
# stamped t0 + 1 us per entry (awk -v t0=USEC: now, so that the first
# start's look-back takes them)
{
	tag = $5
	i = index(tag, "[")
	if (i > 0) {
		ident = substr(tag, 1, i - 1)
		pid = substr(tag, i + 1, length(tag) - i - 2)
	} else {
		ident = substr(tag, 1, length(tag) - 1)
		pid = ""
	}
	msg = substr($0, index($0, tag) + length(tag) + 1)
	printf "__REALTIME_TIMESTAMP=%.0f\nMESSAGE=%s\nSYSLOG_IDENTIFIER=%s\nSYSLOG_FACILITY=2\n_HOSTNAME=%s\n", t0 + NR, msg, ident, $4
	if (pid != "")
		printf "_PID=%s\n", pid
	printf "\n"
}
