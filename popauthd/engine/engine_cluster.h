/*
 * engine_cluster.h - apply another node's decision to the trackers, by the
 * cluster's merge rules (see engine_cluster.c).
 *
 * For engine.c, which passes it to cluster_start as struct cluster_apply.
 */
#ifndef POPAUTHD_ENGINE_CLUSTER_H
#define POPAUTHD_ENGINE_CLUSTER_H

#include "cluster.h"

#include <stdbool.h>
#include <time.h>

/* engine_cluster_apply - cluster_apply's apply: true if something changed */
bool engine_cluster_apply(
    void *arg, const struct cluster_change *c, time_t now);

#endif
