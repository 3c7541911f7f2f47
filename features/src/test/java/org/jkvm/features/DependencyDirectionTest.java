package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jkvm.testkit.RepoPaths;
import org.junit.jupiter.api.Test;

/**
 * Dependencies between jkvm's modules point one way (STYLE.md section 3): every module of the root pom is checked,
 * from its main sources and from its pom.
 *
 * <p>Sources: each reference to an {@code org.jkvm} package in a main source file (an import, a static import, a
 * name written out in full, a class name in a string such as {@code Class.forName}'s; comments do not count) is
 * resolved to the module that owns the package, and that edge must be in {@link #ALLOWED}. The table is the intended
 * graph, so a new edge fails here until someone adds it on purpose; the rules the layout lives by are spelled out
 * in {@link #RULES}, which name the forbidden edges with the reason, and are checked against the table itself too
 * (so widening the table cannot break a rule silently). Poms: a dependency on a jkvm artifact at compile or
 * provided scope (what javac sees) must not break a rule either. Runtime scope is how the seam works (the engine
 * ships both backends without compiling against them) and test scope may cross (the oracle runs the software
 * CPU's cases on KVM, the features tests see everything).
 *
 * <p>Replaces the engine's {@code LayeringTest} (engine and monitor name no KVM type), which is a rule here.
 */
class DependencyDirectionTest {
    /** A module may reference its own packages and those of the modules listed here, nothing else. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("bundles/testkit", Set.of()),
            Map.entry("bundles/memory", Set.of()),
            Map.entry("bundles/posix", Set.of()),
            Map.entry("bundles/block", Set.of()),
            Map.entry("bundles/json", Set.of()),
            Map.entry("bundles/firmware", Set.of()),
            Map.entry("bundles/hypervisor", Set.of("bundles/memory")),
            Map.entry("bundles/kvm", Set.of("bundles/hypervisor", "bundles/memory", "bundles/posix")),
            Map.entry("bundles/softcpu", Set.of("bundles/hypervisor", "bundles/memory")),
            Map.entry("bundles/vmstate", Set.of("bundles/memory")),
            Map.entry("bundles/devices", Set.of("bundles/block", "bundles/memory", "bundles/vmstate")),
            Map.entry("bundles/loader", Set.of("bundles/memory")),
            Map.entry("bundles/migration", Set.of("bundles/memory", "bundles/vmstate")),
            Map.entry("bundles/engine", Set.of("bundles/block", "bundles/devices", "bundles/firmware",
                    "bundles/hypervisor", "bundles/loader", "bundles/memory", "bundles/posix", "bundles/vmstate")),
            // monitor -> devices: QMP query-blockstats and the NIC queries format the devices' statistics records
            // (BlockStats, NetStats: values, read-only), as QEMU's monitor reads its devices' accounting.
            Map.entry("bundles/monitor", Set.of("bundles/devices", "bundles/engine", "bundles/hypervisor",
                    "bundles/json", "bundles/memory", "bundles/migration", "bundles/posix", "bundles/vmstate")),
            Map.entry("domain-xml", Set.of()),
            Map.entry("driver/xdr", Set.of()),
            Map.entry("driver/remote-protocol", Set.of("driver/xdr")),
            Map.entry("driver/rpc-server", Set.of("driver/remote-protocol", "driver/xdr")),
            Map.entry("driver/jkvm-driver", Set.of("bundles/json", "domain-xml", "driver/remote-protocol",
                    "driver/rpc-server", "driver/xdr")),
            Map.entry("driver/daemon", Set.of("driver/remote-protocol", "driver/rpc-server", "driver/xdr")),
            Map.entry("features", Set.of()));

    /** The engine-side bundles: a driver-side module reaches an engine only through QMP, never through these. */
    static final Set<String> ENGINE_SIDE = Set.of("bundles/hypervisor", "bundles/kvm", "bundles/softcpu",
            "bundles/memory", "bundles/posix", "bundles/block", "bundles/vmstate", "bundles/devices",
            "bundles/loader", "bundles/firmware", "bundles/migration", "bundles/engine", "bundles/monitor");
    static final Set<String> DRIVER_SIDE = Set.of("domain-xml", "driver/xdr", "driver/remote-protocol",
            "driver/rpc-server", "driver/jkvm-driver", "driver/daemon");
    static final Set<String> KVM = Set.of("bundles/kvm");
    static final Set<String> BACKENDS = Set.of("bundles/kvm", "bundles/softcpu");
    static final Set<String> LIBVIRT = DRIVER_SIDE;

    /** A forbidden edge set with the reason, as STYLE.md section 3 and issue 12 state them. */
    record Rule(String why, Set<String> from, Set<String> to) {
        boolean forbids(String a, String b) {
            return from.contains(a) && to.contains(b);
        }
    }

    static final List<Rule> RULES = List.of(
            new Rule("migration knows no libvirt, engine or KVM", Set.of("bundles/migration"),
                    union(LIBVIRT, BACKENDS, Set.of("bundles/engine", "bundles/monitor", "bundles/hypervisor"))),
            new Rule("the RPC layer knows no KVM and no engine", Set.of("driver/rpc-server", "driver/xdr",
                    "driver/remote-protocol"), ENGINE_SIDE),
            new Rule("the engine and the monitor see backends only through the hypervisor seam",
                    Set.of("bundles/engine", "bundles/monitor"), BACKENDS),
            new Rule("the software CPU knows no KVM", Set.of("bundles/softcpu"), KVM),
            new Rule("driver-side modules import no engine bundle: QMP is the boundary", DRIVER_SIDE, ENGINE_SIDE),
            new Rule("the hypervisor seam knows only memory", Set.of("bundles/hypervisor"),
                    minus(allModules(), Set.of("bundles/memory"))),
            new Rule("devices know no KVM, no backend, no migration and no libvirt", Set.of("bundles/devices"),
                    union(BACKENDS, LIBVIRT, Set.of("bundles/hypervisor", "bundles/migration", "bundles/engine",
                            "bundles/monitor"))),
            new Rule("leaves (memory, posix, block, json, testkit) depend on no jkvm module",
                    Set.of("bundles/memory", "bundles/posix", "bundles/block", "bundles/json", "bundles/testkit"),
                    allModules()),
            new Rule("nothing but the features tests depends on the engine process or the daemon",
                    minus(allModules(), Set.of("features")), Set.of("bundles/monitor", "driver/daemon")));

    private static final Pattern REF = Pattern.compile("\\borg\\.jkvm(?:\\.[A-Za-z_]\\w*)+");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");
    private static final Pattern SCOPE = Pattern.compile("<scope>([^<]+)</scope>");

    @Test
    void theTableCoversEveryModuleAndBreaksNoRule() throws IOException {
        assertEquals(new TreeMap<>(ALLOWED).keySet(), Set.copyOf(modules()), "ALLOWED lists every module of the "
                + "root pom, no more");
        List<String> broken = new ArrayList<>();
        ALLOWED.forEach((from, tos) -> tos.forEach(to -> check(from, to, "ALLOWED", broken)));
        assertEquals(List.of(), broken, "the intended graph itself breaks a rule");
    }

    @Test
    void mainSourcesReferenceOnlyAllowedModules() throws IOException {
        Map<String, String> owners = packageOwners();
        assertTrue(owners.size() > 40, "found the packages: " + owners.size());
        List<String> offenders = new ArrayList<>();
        for (String module : modules()) {
            for (Path file : mainSources(module)) {
                String code = COMMENT.matcher(Files.readString(file, StandardCharsets.UTF_8)).replaceAll(" ");
                Matcher m = REF.matcher(code);
                while (m.find()) {
                    String to = owner(owners, m.group());
                    if (to == null || to.equals(module) || ALLOWED.get(module).contains(to)) {
                        continue;
                    }
                    String where = RepoPaths.root().relativize(file) + ": " + m.group();
                    offenders.add(where + " (" + module + " -> " + to + ": " + verdict(module, to) + ")");
                }
            }
        }
        assertEquals(List.of(), offenders, "main sources reference modules against the intended direction "
                + "(STYLE.md section 3); use the seam or QMP, or add the edge to ALLOWED if it is intended");
    }

    @Test
    void pomsDependOnNoForbiddenModule() throws IOException {
        Map<String, String> artifacts = new HashMap<>();
        for (String module : modules()) {
            Matcher a = ARTIFACT.matcher(pomHead(module));
            assertTrue(a.find(), module + "/pom.xml names its artifactId");
            artifacts.put(a.group(1), module);
        }
        List<String> broken = new ArrayList<>();
        for (String module : modules()) {
            String pom = Files.readString(RepoPaths.of(module, "pom.xml"), StandardCharsets.UTF_8);
            Matcher d = DEPENDENCY.matcher(pom);
            while (d.find()) {
                Matcher a = ARTIFACT.matcher(d.group(1));
                Matcher s = SCOPE.matcher(d.group(1));
                String scope = s.find() ? s.group(1) : "compile";
                boolean javacSees = scope.equals("compile") || scope.equals("provided");
                if (a.find() && artifacts.containsKey(a.group(1)) && javacSees) {
                    check(module, artifacts.get(a.group(1)), module + "/pom.xml (" + scope + ")", broken);
                }
            }
        }
        assertEquals(List.of(), broken, "a pom dependency breaks a layering rule");
    }

    private static void check(String from, String to, String where, List<String> broken) {
        for (Rule r : RULES) {
            if (r.forbids(from, to)) {
                broken.add(where + ": " + from + " -> " + to + " (" + r.why() + ")");
            }
        }
    }

    private static String verdict(String from, String to) {
        for (Rule r : RULES) {
            if (r.forbids(from, to)) {
                return r.why();
            }
        }
        return "not in the intended graph";
    }

    /** The modules of the root pom, in build order. */
    static List<String> modules() throws IOException {
        List<String> l = new ArrayList<>();
        Matcher m = MODULE.matcher(Files.readString(RepoPaths.of("pom.xml"), StandardCharsets.UTF_8));
        while (m.find()) {
            l.add(m.group(1));
        }
        return l;
    }

    private static Set<String> allModules() {
        return ALLOWED.keySet();
    }

    private static List<Path> mainSources(String module) throws IOException {
        Path src = RepoPaths.of(module, "src", "main", "java");
        if (!Files.isDirectory(src)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(src)) {
            return walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** Package name to owning module, from the main sources' package declarations. */
    private static Map<String, String> packageOwners() throws IOException {
        Map<String, String> owners = new HashMap<>();
        for (String module : modules()) {
            for (Path file : mainSources(module)) {
                Matcher m = PACKAGE.matcher(Files.readString(file, StandardCharsets.UTF_8));
                if (m.find()) {
                    String before = owners.put(m.group(1), module);
                    assertTrue(before == null || before.equals(module), "package " + m.group(1) + " is split between "
                            + before + " and " + module);
                }
            }
        }
        return owners;
    }

    /** The module owning the longest package that is a prefix of {@code ref}, or null (not a jkvm main package). */
    private static String owner(Map<String, String> owners, String ref) {
        for (String name = ref; name.contains("."); name = name.substring(0, name.lastIndexOf('.'))) {
            String m = owners.get(name);
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    /** The pom up to its dependencies (its own artifactId comes before any dependency's). */
    private static String pomHead(String module) throws IOException {
        String pom = Files.readString(RepoPaths.of(module, "pom.xml"), StandardCharsets.UTF_8);
        String noParent = pom.replaceFirst("(?s)<parent>.*?</parent>", "");
        int deps = noParent.indexOf("<dependencies>");
        return deps < 0 ? noParent : noParent.substring(0, deps);
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> all = new java.util.HashSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return Set.copyOf(all);
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> r = new java.util.HashSet<>(a);
        r.removeAll(b);
        return Set.copyOf(r);
    }
}
