package org.jkvm.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Require;

/** Runs the real {@code virsh} against a URI and captures what it prints. */
final class Virsh {
    /** One run's exit status and output. */
    record Result(int code, String out, String err) {
        /** The output, failing with both streams when virsh did not succeed. */
        String ok() {
            if (code != 0) {
                throw new AssertionError("virsh failed (" + code + "): " + err + out);
            }
            return out;
        }
    }

    private Virsh() {
    }

    static Result run(String uri, String... args) {
        return run(List.of(), uri, args);
    }

    /** Runs virsh behind {@code prefix} (e.g. {@code ip netns exec NS}, to run it inside a network namespace). */
    static Result run(List<String> prefix, String uri, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Require.command("virsh").toString());
        cmd.add("-c");
        cmd.add(uri);
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().remove("LIBVIRT_DEFAULT_URI");
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("virsh " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip(),
                    new String(err, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new AssertionError("cannot run virsh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running virsh", e);
        }
    }
}
