#include "cgroups/internal.h"
#include <errno.h>
int cg_apply_resources (struct hull_cgroup *cg, const struct oci_resources *res, bool update, hull_err *err) { (void) cg; (void) res; (void) update; (void) err; return 0; }
int cgroup_update (struct hull_cgroup *cg, const struct oci_resources *res, hull_err *err) { return cg_apply_resources (cg, res, true, err); }
int cgroup_stats (struct hull_cgroup *cg, struct cgroup_stats *st, hull_err *err) { (void) cg; (void) st; return hull_error (err, ENOTSUP, "cgroup: stats not implemented yet"); }
int cgroup_oom_eventfd (struct hull_cgroup *cg, hull_err *err) { (void) cg; return hull_error (err, ENOTSUP, "cgroup: OOM notifications not implemented yet"); }
