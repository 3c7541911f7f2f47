package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.jkvm.driver.qmp.MigrationInfo;
import org.jkvm.driver.qmp.MigrationStatus;
import org.jkvm.driver.qmp.RamStats;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.TypedParam;
import org.junit.jupiter.api.Test;

/** Job info and job stats as libvirt reports them, from the engine's typed {@code query-migrate} figures. */
class JobStatsTest {
    private static final RamStats RAM = new RamStats(3 << 20, 1 << 20, 4 << 20, 5, 768, 3 << 20, 42, 80.0, 2, 4096);

    private static long number(List<TypedParam> params, String field) {
        return TypedParam.number(params, field).orElseThrow(() -> new AssertionError("no " + field));
    }

    @Test
    void aRunningJobShowsTheRamFiguresAndTheExpectedDowntime() {
        Job job = new Job(Job.OP_MIGRATION_OUT);
        job.update(new MigrationInfo(MigrationStatus.ACTIVE, OptionalLong.of(900), OptionalLong.of(35),
                OptionalLong.empty(), OptionalLong.of(4), Optional.empty(), RAM, OptionalLong.of(30), List.of()));
        JobInfo info = job.info();
        assertEquals(JobInfo.UNBOUNDED, info.type());
        assertEquals(4 << 20, info.dataTotal());
        assertEquals(3 << 20, info.dataProcessed());
        assertEquals(1 << 20, info.dataRemaining());
        List<TypedParam> p = job.stats().params();
        assertEquals(900, number(p, "time_elapsed_net"));
        assertEquals(5, number(p, "memory_constant"));
        assertEquals(768, number(p, "memory_normal"));
        assertEquals(10_000_000, number(p, "memory_bps"), "80 Mbit/s is 10 MB/s");
        assertEquals(42, number(p, "memory_dirty_rate"));
        assertEquals(2, number(p, "memory_iteration"));
        assertEquals(35, number(p, "downtime"), "the expected downtime while the job runs");
        assertEquals(4, number(p, "setup_time"));
        assertEquals(30, number(p, "auto_converge_throttle"));
    }

    @Test
    void absentFiguresAreLeftOutOrZeroAndAnEmptyAnswerKeepsTheLastOnes() {
        Job job = new Job(Job.OP_SAVE);
        job.update(new MigrationInfo(MigrationStatus.COMPLETED, OptionalLong.empty(), OptionalLong.of(35),
                OptionalLong.of(12), OptionalLong.empty(), Optional.empty(), RAM, OptionalLong.empty(), List.of()));
        job.update(MigrationInfo.NONE);
        job.finish(JobInfo.COMPLETED, null);
        List<TypedParam> p = job.stats().params();
        assertTrue(TypedParam.find(p, "time_elapsed_net").isEmpty(), "no engine time: " + p);
        assertTrue(TypedParam.find(p, "auto_converge_throttle").isEmpty(), "no throttle: " + p);
        assertEquals(12, number(p, "downtime"), "the real downtime once the job completed");
        assertEquals(0, number(p, "setup_time"));
        assertEquals(3 << 20, number(p, "data_processed"), "figures kept across an answer without a job");
        assertEquals(Boolean.TRUE, TypedParam.find(p, "success").map(b -> ((TypedParam.Bool) b).value()).orElse(null));
    }
}
