package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jkvm.testkit.RepoPaths;
import org.junit.jupiter.api.Test;

/**
 * The engine and the monitor see the backends only through the hypervisor seam: no main source of theirs names a
 * KVM type ({@code org.jkvm.kvm}, its adapter or its libc), imported or written out in full. (Their poms take the
 * backends at runtime scope, so javac already refuses such a reference; this test says why, and also catches
 * strings such as a class name handed to {@code Class.forName}.)
 */
class LayeringTest {
    private static final Pattern KVM = Pattern.compile("org\\.jkvm\\.kvm\\b");

    @Test
    void engineAndMonitorMainSourcesNameNoKvmType() throws Exception {
        List<String> offenders = new ArrayList<>();
        int files = 0;
        for (String module : new String[] {"engine", "monitor"}) {
            Path src = RepoPaths.of("bundles", module, "src", "main", "java");
            try (Stream<Path> walk = Files.walk(src)) {
                for (Path p : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                    for (int i = 0; i < lines.size(); i++) {
                        Matcher m = KVM.matcher(lines.get(i));
                        if (m.find()) {
                            offenders.add(RepoPaths.root().relativize(p) + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        assertTrue(files > 40, "found the sources (" + files + " files)");
        assertEquals(List.of(), offenders, "engine/monitor code must use org.jkvm.hypervisor, not KVM types");
    }
}
