package org.jkvm.domainxml.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.jkvm.domainxml.AbiCheck;
import org.jkvm.domainxml.AbiDifference;
import org.jkvm.domainxml.Capabilities;
import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.DomainXmlException;
import org.jkvm.domainxml.EngineArgs;
import org.jkvm.domainxml.Fingerprint;
import org.jkvm.domainxml.HostInfo;
import org.jkvm.domainxml.JkvmSupport;
import org.jkvm.domainxml.KvmDevice;
import org.jkvm.domainxml.LibvirtRules;
import org.jkvm.domainxml.Problem;
import org.jkvm.domainxml.RuntimePaths;
import org.jkvm.domainxml.SupportReport;
import org.jkvm.domainxml.internal.RngValidator;

/**
 * {@code bin/jkvm-xml}: a tool for people who keep domain definitions in git. Exit status 0 on success, 1 when a
 * check or diff fails, 2 on a usage error. See {@link #USAGE}.
 */
public final class JkvmXml {
    /** The usage text. */
    public static final String USAGE = """
            usage: jkvm-xml COMMAND ARGS
              check [--for-jkvm] FILE...  parse and validate as libvirt domain definitions (and, with --for-jkvm,
                                          against what jkvm runs); one line per file; exit 1 if any fails
              format FILE                 print the canonical form
              diff OLD NEW                the ABI check: migration-compatible, or every difference (exit 1)
              fingerprint FILE            the fingerprint of the guest-visible configuration
              to-engine FILE [RUNDIR]     the jkvm engine command line (runtime files under RUNDIR, default /run/jkvm)
              capabilities                the host capabilities XML (type 'kvm' listed only when KVM works here)
              domcapabilities [kvm|qemu]  the domain capabilities XML (default: kvm when KVM works here, else qemu)
            environment: JKVM_LIBVIRT_SCHEMAS  folder with libvirt's domain.rng (default /usr/share/libvirt/schemas)
                         JKVM_KVM_DEVICE       the KVM device (default /dev/kvm; a missing path means no KVM)
            """;

    private final PrintStream out;
    private final PrintStream err;

    /** A tool writing to the given streams. */
    public JkvmXml(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the tool and exits with its status. */
    public static void main(String[] args) {
        System.exit(new JkvmXml(System.out, System.err).run(args));
    }

    /** Runs one command; returns the exit status. */
    public int run(String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            return switch (args[0]) {
                case "check" -> check(rest);
                case "format" -> one(rest, f -> out.print(DomainXml.format(DomainXml.parse(f))));
                case "fingerprint" -> one(rest, f -> out.println(Fingerprint.of(DomainXml.parse(f))));
                case "diff" -> diff(rest);
                case "to-engine" -> toEngine(rest);
                case "capabilities" -> none(rest, () -> out.print(Capabilities.host(HostInfo.probe(engine()),
                        KvmDevice.probe().usable())));
                case "domcapabilities" -> domCapabilities(rest);
                default -> usage("unknown command '" + args[0] + "'");
            };
        } catch (DomainXmlException e) {
            err.println("jkvm-xml: " + e.getMessage());
            return 1;
        }
    }

    private interface FileAction {
        void run(Path file);
    }

    private int usage(String problem) {
        err.println("jkvm-xml: " + problem);
        err.print(USAGE);
        return 2;
    }

    private int one(List<String> args, FileAction action) {
        if (args.size() != 1) {
            return usage("give exactly one FILE");
        }
        action.run(Path.of(args.get(0)));
        return 0;
    }

    private int none(List<String> args, Runnable action) {
        if (!args.isEmpty()) {
            return usage("this command takes no arguments");
        }
        action.run();
        return 0;
    }

    private static String engine() {
        Path p = Path.of(System.getProperty("jkvm.root", "."), "bin", "jkvm-engine").toAbsolutePath().normalize();
        return p.toString();
    }

    private int check(List<String> args) {
        boolean forJkvm = args.contains("--for-jkvm");
        List<String> files = args.stream().filter(a -> !a.equals("--for-jkvm")).toList();
        if (files.isEmpty()) {
            return usage("check needs at least one FILE");
        }
        RngValidator rng = schemaValidator();
        int failed = 0;
        for (String f : files) {
            String line = checkOne(Path.of(f), forJkvm, rng);
            out.println(f + ": " + line);
            failed += line.startsWith("error") ? 1 : 0;
        }
        return failed == 0 ? 0 : 1;
    }

    private String checkOne(Path file, boolean forJkvm, RngValidator rng) {
        try {
            DomainDefinition def = DomainXml.parse(file);
            List<Problem> libvirt = LibvirtRules.check(def);
            if (!libvirt.isEmpty()) {
                return "error: " + joined(libvirt);
            }
            if (rng != null) {
                List<String> invalid = rng.validate(Files.readString(file, StandardCharsets.UTF_8));
                if (!invalid.isEmpty()) {
                    return "error: not valid against libvirt's domain.rng: " + invalid.get(0);
                }
            }
            if (!forJkvm) {
                return "ok";
            }
            SupportReport r = JkvmSupport.check(def);
            if (!r.ok()) {
                return "error: cannot run on jkvm: " + joined(r.errors());
            }
            return r.warnings().isEmpty() ? "ok" : "ok, " + r.warnings().size() + " ignored by jkvm: "
                    + joined(r.warnings());
        } catch (DomainXmlException e) {
            return "error: " + e.getMessage().replace(file + ": ", "");
        } catch (java.io.IOException e) {
            return "error: cannot read the file: " + e.getMessage();
        }
    }

    private static String joined(List<Problem> problems) {
        return problems.stream().map(Problem::toString).collect(Collectors.joining("; "));
    }

    private RngValidator schemaValidator() {
        String dir = System.getProperty("jkvm.libvirt.schemas",
                System.getenv().getOrDefault("JKVM_LIBVIRT_SCHEMAS", "/usr/share/libvirt/schemas"));
        Path schema = Path.of(dir, "domain.rng");
        if (!RngValidator.available() || !Files.isReadable(schema)) {
            err.println("jkvm-xml: note: " + schema + " or the Jing validator is missing; checking libvirt's rules"
                    + " without the RELAX NG schema");
            return null;
        }
        return RngValidator.forSchema(schema);
    }

    private int diff(List<String> args) {
        if (args.size() != 2) {
            return usage("diff needs OLD and NEW");
        }
        List<AbiDifference> d = AbiCheck.compare(DomainXml.parse(Path.of(args.get(0))),
                DomainXml.parse(Path.of(args.get(1))));
        if (d.isEmpty()) {
            out.println("migration-compatible: the guest-visible configuration is identical");
            return 0;
        }
        out.println("not migration-compatible: " + d.size() + (d.size() == 1 ? " difference" : " differences"));
        for (AbiDifference x : d) {
            out.println("  " + x);
        }
        return 1;
    }

    private int domCapabilities(List<String> args) {
        if (args.size() > 1 || !args.isEmpty() && !JkvmSupport.DOMAIN_TYPES.contains(args.get(0))) {
            return usage("domcapabilities takes kvm or qemu, or nothing");
        }
        KvmDevice.Status kvm = KvmDevice.probe();
        String type = args.isEmpty() ? (kvm.usable() ? "kvm" : "qemu") : args.get(0);
        if (type.equals("kvm") && !kvm.usable()) {
            err.println("jkvm-xml: KVM is not supported by '" + engine() + "' on this host: " + kvm.reason());
            return 1;
        }
        out.print(Capabilities.domain(engine(), type));
        return 0;
    }

    private int toEngine(List<String> args) {
        if (args.isEmpty() || args.size() > 2) {
            return usage("to-engine needs FILE and optionally RUNDIR");
        }
        DomainDefinition def = DomainXml.parse(Path.of(args.get(0))).withUuidIfAbsent();
        Path run = Path.of(args.size() == 2 ? args.get(1) : "/run/jkvm");
        List<String> argv = new ArrayList<>(List.of("jkvm-engine"));
        argv.addAll(EngineArgs.of(def, RuntimePaths.under(run, def.name())));
        out.println(EngineArgs.shellLine(argv));
        return 0;
    }
}
