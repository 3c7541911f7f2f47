package org.jkvm.softcpu.oracle;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.RepoPaths;

/**
 * The host side of the oracle: builds {@code src/test/c/oracle_harness.c} with gcc into {@code target/oracle/},
 * asks it for the host's CPUID features, and runs batches of cases through it.
 *
 * <p>Batch file (little-endian): header {@code u32 magic "JKOR", u32 version 2, u32 cases, u32 dataSize,
 * u64 codeVa, u32 codeSize, u32 0, u64 dataVa, u64 gsBase, dataSize bytes base image}; then per case
 * {@code u8 codeLen, u16 codeOffset, code, u8 ends, u16 endOffset x ends, u64 gpr x 16, u64 rflags, u16 patches,
 * (u16 offset, u8 len, bytes) x patches, u8 hasFpu, [512-byte FXSAVE image the case starts from]}.
 *
 * <p>Result file: {@code u32 magic "JKRS", u32 version 2, u32 cases}; then per case {@code i32 vector (-1: reached
 * an end; 256: the harness's watchdog stopped a hang), u32 endIndex (or -1), u64 errorCode, u64 cr2, u64 rip,
 * u64 rflags, u64 gpr x 16, u32 changes, (u16 offset, u8 value) x changes, u8 hasFpu, [512-byte FXSAVE image at the
 * end or the fault]}.
 *
 * <p>Not thread-safe (one batch at a time per instance).
 */
public final class NativeHarness {
    private static final int BATCH_MAGIC = 0x524F4B4A;
    private static final int RESULT_MAGIC = 0x53524B4A;
    /** The vector the harness reports for a case that ran for seconds (its watchdog). */
    private static final int TIMEOUT_VECTOR = 256;
    private static final int VERSION = 2;

    private final Path binary;
    private final Path work;

    private NativeHarness(Path binary, Path work) {
        this.binary = binary;
        this.work = work;
    }

    /**
     * Builds the harness (when its sources are newer than the binary) with {@code gcc}.
     *
     * @param gcc  the compiler
     * @param work a folder for the binary and the batch files (created)
     */
    public static NativeHarness build(Path gcc, Path work) throws IOException, InterruptedException {
        Path src = RepoPaths.of("bundles", "softcpu", "src", "test", "c");
        Path c = src.resolve("oracle_harness.c");
        Path s = src.resolve("oracle_trampoline.S");
        Files.createDirectories(work);
        Path bin = work.resolve("oracle_harness");
        if (!Files.exists(bin) || Files.getLastModifiedTime(bin).compareTo(Files.getLastModifiedTime(c)) < 0
                || Files.getLastModifiedTime(bin).compareTo(Files.getLastModifiedTime(s)) < 0) {
            Process p = new ProcessBuilder(gcc.toString(), "-O2", "-Wall", "-o", bin.toString(), c.toString(),
                    s.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("gcc could not build the oracle harness from " + src + ": " + out);
            }
        }
        return new NativeHarness(bin, work);
    }

    /** The host CPU's optional groups, from the harness's CPUID. */
    public CpuFeatures features() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary.toString(), "features").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the oracle harness could not read CPUID: " + out);
        }
        return CpuFeatures.fromHarnessLine(out);
    }

    /** Runs {@code cases} on the host CPU; the data area starts as {@code baseImage} for every case. */
    public List<OracleResult> run(List<OracleCase> cases, byte[] baseImage) throws IOException, InterruptedException {
        Path in = work.resolve("batch.bin");
        Path out = work.resolve("results.bin");
        writeBatch(in, cases, baseImage);
        Process p = new ProcessBuilder(binary.toString(), "run", in.toString(), out.toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("the oracle harness failed on " + in + " (exit "
                    + (p.isAlive() ? "none" : p.exitValue()) + "): " + text.strip());
        }
        return readResults(out, cases.size());
    }

    static void writeBatch(Path file, List<OracleCase> cases, byte[] baseImage) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer h = le(48 + baseImage.length);
            h.putInt(BATCH_MAGIC).putInt(VERSION).putInt(cases.size()).putInt(Layout.DATA_SIZE).putLong(Layout.CODE_VA)
                    .putInt(Layout.CODE_SIZE).putInt(0).putLong(Layout.DATA_VA).putLong(Layout.GS_BASE)
                    .put(baseImage);
            os.write(h.array(), 0, h.position());
            for (OracleCase c : cases) {
                int size = 4 + c.code().length + 2 * c.ends().length + 8 * 17 + 2 + 1
                        + (c.fpu() != null ? FpuCase.BYTES : 0);
                for (OracleCase.Patch p : c.patches()) {
                    size += 3 + p.bytes().length;
                }
                ByteBuffer b = le(size);
                b.put((byte) c.code().length).putShort((short) Layout.INSN_OFFSET).put(c.code());
                b.put((byte) c.ends().length);
                for (int e : c.ends()) {
                    b.putShort((short) e);
                }
                for (long g : c.gprs()) {
                    b.putLong(g);
                }
                b.putLong(c.rflags()).putShort((short) c.patches().size());
                for (OracleCase.Patch p : c.patches()) {
                    b.putShort((short) p.offset()).put((byte) p.bytes().length).put(p.bytes());
                }
                b.put((byte) (c.fpu() != null ? 1 : 0));
                if (c.fpu() != null) {
                    b.put(c.fpu().image());
                }
                os.write(b.array(), 0, b.position());
            }
        }
    }

    static List<OracleResult> readResults(Path file, int expected) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != RESULT_MAGIC || b.getInt() != VERSION || b.getInt() != expected) {
            throw new UncheckedIOException(new IOException(file + " is not a result file for " + expected
                    + " cases"));
        }
        List<OracleResult> results = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            int vector = b.getInt();
            int end = b.getInt();
            long err = b.getLong();
            long cr2 = b.getLong();
            long rip = b.getLong();
            long rflags = b.getLong();
            long[] gprs = new long[16];
            for (int r = 0; r < 16; r++) {
                gprs[r] = b.getLong();
            }
            int n = b.getInt();
            int[] offsets = new int[n];
            byte[] values = new byte[n];
            for (int k = 0; k < n; k++) {
                offsets[k] = Short.toUnsignedInt(b.getShort());
                values[k] = b.get();
            }
            byte[] fpu = null;
            if (b.get() != 0) {
                fpu = new byte[FpuCase.BYTES];
                b.get(fpu);
            }
            if (vector == TIMEOUT_VECTOR) {
                results.add(new OracleResult(OracleResult.NO_RESULT, -1, 0, 0, rip, rflags, gprs, offsets, values,
                        "the case ran for seconds on the host (a hang: a generator bug)", fpu));
            } else {
                results.add(new OracleResult(vector, end, vector < 0 ? 0 : err, cr2, rip, rflags, gprs, offsets,
                        values, "", fpu));
            }
        }
        return results;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
