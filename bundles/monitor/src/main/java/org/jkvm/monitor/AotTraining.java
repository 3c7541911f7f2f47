package org.jkvm.monitor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.VmConfigParser;
import org.jkvm.monitor.warmup.EngineWarmUp;

/**
 * The training run of the engine's AOT cache (JDK 25, {@code -XX:AOTCacheOutput}; {@code bin/jkvm-engine} starts it
 * in the background once per build): in one process, the bundled firmware's disk benchmark on the software CPU,
 * each kind of request on each image given, every VM started as the engine starts one ({@link Main#run}: monitors,
 * the VM's warm-up and the scratch migrations included). HotSpot then stores the classes this process loaded and
 * linked, so a fresh engine skips that class loading (software CPU, virtio-blk, raw and qcow2, monitors). It also
 * stores the methods' profiles, which {@code bin/jkvm-engine} does not replay: they are this workload's, and on a
 * Linux boot they made the JIT compile more and again (the numbers are in bin/jkvm-engine).
 *
 * <p>Arguments: {@code FIRMWARE DIR IMAGE...}, each image {@code PATH:FORMAT} (16 MiB or larger, overwritten),
 * {@code DIR} for the scratch QMP socket. Exit status 0 when every run ended cleanly, else 1 (no cache is worth
 * keeping then). Not thread-safe; a process of its own.
 */
public final class AotTraining {
    /** Each run's workload words: sequential requests first, so the reads find written data. */
    private static final List<String> RUNS = List.of(
            "op=seqwrite bs=65536 count=256", "op=seqread bs=65536 count=512",
            "op=randwrite bs=4096 count=3000", "op=randread bs=4096 count=3000");

    private AotTraining() {
    }

    /** The entry point; exits with 0 or 1. */
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: AotTraining FIRMWARE DIR PATH:FORMAT...");
            System.exit(1);
        }
        Main.setUpLogging(false);
        EngineWarmUp warmUp = EngineWarmUp.create((vm, c, servers) -> Monitors.start(vm, c, servers, null));
        warmUp.startup();
        warmUp.awaitLogging();
        Path qmp = Path.of(args[1], "train.qmp");
        for (int i = 2; i < args.length; i++) {
            int colon = args[i].lastIndexOf(':');
            for (String run : RUNS) {
                List<String> argv = new ArrayList<>(List.of("-accel", "tcg", "-m", "64M", "-kernel", args[0],
                        "-append", "workload=diskbench mib=16 " + run, "-serial", "null",
                        "-qmp", "unix:" + qmp + ",server,nowait",
                        "-drive", "file=" + args[i].substring(0, colon) + ",format=" + args[i].substring(colon + 1)
                                + ",if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0"));
                int status;
                try {
                    status = Main.run(VmConfigParser.parse(argv), warmUp);
                } catch (RuntimeException e) {
                    fail(run + " on " + args[i] + " failed: " + e.getMessage());
                    return;
                }
                if (status != 0) {
                    fail(run + " on " + args[i] + " ended with status " + status);
                }
            }
        }
        System.exit(0);
    }

    /** Says why in one line and ends the process with status 1 (halt: the warm-up's threads need not finish). */
    private static void fail(String why) {
        System.err.println("jkvm AOT training: " + why + "; no cache written");
        Runtime.getRuntime().halt(1);
    }
}
