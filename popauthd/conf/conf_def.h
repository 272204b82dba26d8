/*
 * conf_def.h - struct conf: every setting, as conf.c loads it.
 *
 * Through conf.h for every module that reads a setting; alone for
 * conf_check.c, which checks a struct conf and knows nothing of loading.
 */
#ifndef POPAUTHD_CONF_DEF_H
#define POPAUTHD_CONF_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum fw_backend { FW_NONE, FW_IPTABLES, FW_NFTABLES, FW_AUTO };
enum nullroute_scope { SCOPE_ALL, SCOPE_SMTP };
enum map_type { MAP_HASH, MAP_LMDB };

struct conf_src;

struct conf {
	char *config_file;    /* where it came from, for messages */
	struct conf_src *src; /* where each key was set (conf_where) */
	/* the log input (input.h) */
	char *input;             /* fifo, file or journal */
	char *fifo_path;         /* input = fifo */
	char *input_path;        /* input = file: the followed log file */
	char *journal_directory; /* input = journal; "" = the system journal */
	/* paths */
	char *data_directory;
	char *map_directory;
	enum map_type map_type; /* hash: or lmdb: tables */
	char *popauth_map;
	char *blacklist_map;
	char *rules_directory;
	char *log_file;
	char *pid_file;
	char *whitelist_file;
	char *control_socket;
	char *control_group;
	bool log_syslog;
	bool log_debug;
	char *metrics_file;         /* Prometheus textfile; "" = none */
	time_t metrics_interval;    /* how often it is rewritten */
	long long evidence_per_ip;  /* log lines kept per address; 0 = none */
	long long evidence_max_ips; /* addresses with evidence, at most */
	/* POP-before-SMTP */
	time_t popauth_expire;
	long long map_flush_delay_ms; /* coalescing window for map rewrites */
	time_t login_pair_window;     /* two-line logins (loginpair.h) */
	long long login_pair_max;
	long long login_pair_per_source;
	/* local RBL cache / blacklist */
	time_t rbl_cache_expire;
	time_t fish_expire;
	char *localhost_dns_name;     /* authority name for our own listings */
	time_t local_listing_expire;  /* our own verdicts (forgery, fishing) */
	long long nullroute_min_hits; /* a rate means something from here */
	char *blacklist_template;     /* text after "554 " in rbl_checks */
	char *blacklist_code;         /* "554 5.7.1" */
	char *
	    data_reject_phrases; /* comma list: header/body rejects that list */
	double nullroute_freq_thresh;
	long long nullroute_msg_thresh;
	long long nullroute_fish_thresh;
	time_t nullroute_freq_bansecs;
	time_t nullroute_msg_bansecs;
	time_t nullroute_fish_bansecs;
	bool ban_escalate;
	double ban_escalate_factor;
	time_t ban_escalate_max;
	long long max_tracked_ips; /* cap per table that attackers can grow */
	long long max_fish_pairs;  /* cap of (rcpt,sender) pairs kept per IP */
	long long ipv6_prefix_listing; /* listed addresses that list a /64 */
	time_t ipv6_prefix_window;
	/* null-routing */
	enum fw_backend firewall_backend;
	char *iptables_chain;
	char *nftables_table; /* table inet NAME, ours alone */
	long long iptables_rbl_line;
	time_t iptables_refresh;
	enum nullroute_scope nullroute_scope;
	char *nullroute_ports;
	bool nullroute_keep_on_exit;
	/* alert mail */
	long long nullroute_alert_thresh;
	char *alert_smtp_server;
	char *sysadmin_email_address;
	char *sysadmin_email_name;
	time_t alert_timeout;
	long long alert_retries;
	long long alert_max_children;
	/* privileges */
	char *run_as_user;
	/* sendmail: User unknown guessers, spamcop-style rejects (sendmail.c) */
	char *sendmail_listen; /* MTA socket "ADDR:PORT"; 0.0.0.0/:: = any */
	char *
	    sendmail_syslog_host; /* /proc correlation only for this host; "" any */
	long long sendmail_unknown_thresh; /* more offenses than this ban */
	time_t sendmail_unknown_bansecs;
	enum nullroute_scope sendmail_ban_scope; /* blocksmtp: port 25 only */
	time_t
	    sendmail_unknown_expire; /* offense counts forgotten after quiet */
	bool sendmail_kill_banned;   /* end the banned client's sessions */
	char *spamcop_reject_codes;  /* replies that list: "553" */
	char *spamcop_list;          /* authority named in rbl_checks */
	bool spamcop_ban;
	time_t spamcop_bansecs;
	enum nullroute_scope
	    spamcop_ban_scope; /* the spamcop script: port 25 */
	/* stalled SMTP sessions (reaper.c) */
	bool stalled_session_reaper;
	time_t stalled_session_interval;
	time_t stalled_session_max;
	char *stalled_session_pattern; /* PCRE2 over the process title */
	/* greylist-tuple traps (greytrap.c, dns.c) */
	bool greytrap;
	long long greytrap_max_tuples; /* per IP */
	time_t greytrap_expire;
	long long greytrap_suspect_tuples;
	long long greytrap_max_domains;
	double greytrap_max_senders_ratio;
	char *greytrap_trap_regex; /* white-space separated PCRE2 list */
	char *greytrap_checker;    /* program run with the recipient */
	time_t greytrap_checker_timeout;
	long long greytrap_checker_max;  /* children in flight */
	long long greytrap_dns_parallel; /* queries in flight; 0 = no DNS */
	long long greytrap_dns_timeout;  /* ms */
	char *greytrap_dns_servers;      /* "" = resolv.conf */
	time_t greytrap_dns_cache;
	bool greytrap_ban;
	time_t greytrap_bansecs;
	/* several hosts sharing grants and the blacklist (cluster.h) */
	char *cluster_database;   /* libpq conninfo or URI; "" = one host */
	char *cluster_node;       /* this node's name; default: the host name */
	time_t cluster_retention; /* changes without effect kept this long */
};

#endif
