/*
 * cluster_sql.h - the SQL text the cluster link sends (cluster_pg.c).
 *
 * For cluster_pg.c only.  The schema (table popauthd_changes, function
 * popauthd_publish, the views Postfix's pgsql: maps read) is the same as
 * etc/popauthd.sql, which says what each part is for.
 */
#ifndef POPAUTHD_CLUSTER_SQL_H
#define POPAUTHD_CLUSTER_SQL_H

/* clsql_check - one row, "t" when every part of the schema is there */
extern const char clsql_check[];
/* clsql_schema - create what is missing, then LISTEN popauthd (a simple query) */
extern const char clsql_schema[];
/* clsql_listen - LISTEN popauthd alone (the schema is there) */
extern const char clsql_listen[];
/* clsql_fetch - rows after id $1, oldest first, times as durations by the database's clock */
extern const char clsql_fetch[];
/* clsql_publish - popauthd_publish(node, seqs, kinds, ips, lefts, ages, reasons) */
extern const char clsql_publish[];
/* clsql_prune - delete expired rows, and removals older than $1 s nothing needs */
extern const char clsql_prune[];

#endif
