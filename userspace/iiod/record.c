// SPDX-License-Identifier: MIT
/*
 * What the server keeps of its sessions: counters added up per device,
 * a record per finished session, and the whole system's CPU time that
 * a record's cost is measured with.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "iiod.h"

void iiod_stats_add(struct iiod_stats *a, const struct iiod_stats *b)
{
	a->sessions += b->sessions;
	a->refused_busy += b->refused_busy;
	a->bytes_sent += b->bytes_sent;
	a->readbufs += b->readbufs;
	a->sends += b->sends;
	a->buffers_returned += b->buffers_returned;
	a->completions += b->completions;
	a->copied += b->copied;
	a->drops += b->drops;
	a->bytes_dropped += b->bytes_dropped;
	a->gaps += b->gaps;
	a->bytes_skipped += b->bytes_skipped;
	a->error_buffers += b->error_buffers;
	a->unreleased += b->unreleased;
	a->subset_bytes += b->subset_bytes;
	a->timeouts += b->timeouts;
}

/* ---- /proc/stat ---- */

int iiod_cpu_times(double *busy_s, double *total_s)
{
	unsigned long long v[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -errno;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	if (n < 4 || hz <= 0)
		return -EIO;
	/* guest time is already counted in user time. */
	*busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
		  (double)hz;
	*total_s = *busy_s + (double)(v[3] + v[4]) / (double)hz;
	return 0;
}

/* ---- session records ---- */

void iiod_add_record(struct iiod_server *srv, const struct iiod_record *r)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->nrecords == srv->records_cap && srv->records_cap < 4096) {
		unsigned int cap = srv->records_cap ? 2 * srv->records_cap : 16;
		struct iiod_record *p = realloc(srv->records,
						cap * sizeof(*p));

		if (p) {
			srv->records = p;
			srv->records_cap = cap;
		}
	}
	if (srv->nrecords < srv->records_cap)
		srv->records[srv->nrecords++] = *r;
	else
		srv->records_lost++;
	pthread_mutex_unlock(&srv->lock);
}
