/*
 * fw_none.c - the log-only firewall backend (firewall_backend = none).
 *
 * For fw.c: every call says what the iptables backend would have done and
 * succeeds, so a test, a replay or a host without CAP_NET_ADMIN runs the whole
 * decision path and an admin can watch it before switching the firewall on.
 * Nothing here can fail.
 */
#include "fw.h"
#include "log.h"

static int
none_open(const struct fw_settings *s)
{
	log_info("firewall_backend = none: null-routes are logged, not applied "
	         "(chain %s not touched)",
	    s->chain);
	return 0;
}

static int
none_ban(const struct addr *a, enum nullroute_scope scope, time_t unban)
{
	char ip[ADDR_STRLEN];

	(void)unban;
	log_info("%s: would null-route%s (firewall_backend = none)",
	    addr_format(a, ip, sizeof(ip)),
	    scope == SCOPE_SMTP ? " for SMTP only" : "");
	return 0;
}

static int
none_unban(const struct addr *a)
{
	char ip[ADDR_STRLEN];

	log_info("%s: would lift null-route (firewall_backend = none)",
	    addr_format(a, ip, sizeof(ip)));
	return 0;
}

static int
none_reconcile(const struct fw_target *set, size_t n)
{
	static size_t said = (size_t)-1;

	(void)set;
	/* every iptables_refresh: say it when it changed, not every time */
	if (n != said)
		log_info("firewall: %zu ban(s), none applied "
		         "(firewall_backend = none)",
		    n);
	said = n;
	return 0;
}

static void
none_close(bool keep)
{
	log_debug("firewall: nothing to %s (firewall_backend = none)",
	    keep ? "keep" : "remove");
}

const struct fw_ops fw_none_ops = {
    "none", none_open, none_ban, none_unban, none_reconcile, none_close,
    NULL, /* no timers: list bans says unknown */
    NULL, /* never chosen by auto */
};
