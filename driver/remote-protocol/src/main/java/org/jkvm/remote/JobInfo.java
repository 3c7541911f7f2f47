package org.jkvm.remote;

/**
 * {@code remote_domain_get_job_info_ret} (virDomainJobInfo), polled by virsh during save and migrate.
 *
 * @param type             0 NONE, 1 BOUNDED, 2 UNBOUNDED, 3 COMPLETED, 4 FAILED, 5 CANCELLED
 * @param timeElapsedMs    time since the job started
 * @param timeRemainingMs  BOUNDED jobs only
 * @param dataTotal        bytes, whole job
 * @param dataProcessed    bytes, whole job
 * @param dataRemaining    bytes, whole job
 * @param memTotal         bytes of guest memory
 * @param memProcessed     bytes of guest memory
 * @param memRemaining     bytes of guest memory
 * @param fileTotal        bytes of disk files
 * @param fileProcessed    bytes of disk files
 * @param fileRemaining    bytes of disk files
 */
public record JobInfo(int type, long timeElapsedMs, long timeRemainingMs, long dataTotal, long dataProcessed,
                      long dataRemaining, long memTotal, long memProcessed, long memRemaining, long fileTotal,
                      long fileProcessed, long fileRemaining) {
    /** Job type NONE. */
    public static final int NONE = 0;
    /** Job type BOUNDED. */
    public static final int BOUNDED = 1;
    /** Job type UNBOUNDED (what migration and save report). */
    public static final int UNBOUNDED = 2;
    /** Job type COMPLETED. */
    public static final int COMPLETED = 3;
    /** Job type FAILED. */
    public static final int FAILED = 4;
    /** Job type CANCELLED. */
    public static final int CANCELLED = 5;

    /** No job: type 0, every figure 0. */
    public static JobInfo none() {
        return new JobInfo(NONE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
