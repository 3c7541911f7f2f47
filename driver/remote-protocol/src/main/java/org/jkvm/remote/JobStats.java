package org.jkvm.remote;

import java.util.List;

/**
 * {@code remote_domain_get_job_stats_ret}: a job type and its statistics as typed parameters
 * ({@code time_elapsed}, {@code data_total}, {@code memory_dirty_rate}, ... see the reference §6.2).
 *
 * @param type   a {@link JobInfo} type code
 * @param params at most {@link Programs#PARAMS_MAX} statistics
 */
public record JobStats(int type, List<TypedParam> params) {
    /** Copies the list. */
    public JobStats {
        params = List.copyOf(params);
    }

    /** No job: type 0, no statistics. */
    public static JobStats none() {
        return new JobStats(JobInfo.NONE, List.of());
    }
}
