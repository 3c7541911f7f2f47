package org.jkvm.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jkvm.domainxml.AbiCheck;
import org.jkvm.domainxml.Capabilities;
import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.DomainStore;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.DomainXmlException;
import org.jkvm.domainxml.EngineArgs;
import org.jkvm.domainxml.HostInfo;
import org.jkvm.domainxml.JkvmSupport;
import org.jkvm.domainxml.LiveXml;
import org.jkvm.domainxml.PciSlots;
import org.jkvm.domainxml.RuntimePaths;
import org.jkvm.domainxml.SupportReport;
import org.jkvm.driver.engine.EnginePaths;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Definitions} over the domain-xml module: {@link DomainXml} parsing, {@link JkvmSupport} checks,
 * {@link EngineArgs} for the engine command line, {@link LiveXml} for running domains and a {@link DomainStore}
 * in {@code STATE/domains}. Malformed XML gives 27 XML_ERROR; a definition jkvm cannot run gives
 * 67 CONFIG_UNSUPPORTED listing every refused element.
 */
public final class XmlDefinitions implements Definitions {
    private static final Logger LOG = LoggerFactory.getLogger(XmlDefinitions.class);
    /** Backing chains are read from the image files each time the live XML is made (images may be rebased). */
    private static final LiveXml.Chains CHAINS = new ImageChains();

    private final DomainStore store;
    private final String engine;
    private volatile HostInfo host;

    /**
     * Creates the adapter.
     *
     * @param stateDir the state folder; definitions live in {@code stateDir/domains}
     * @param engine   the engine program's path, reported as the emulator in capabilities
     */
    public XmlDefinitions(Path stateDir, String engine) {
        this.store = new DomainStore(stateDir.resolve("domains"));
        this.engine = engine;
    }

    @Override
    public Definition parse(String xml) {
        DomainDefinition d;
        try {
            // Libvirt gives devices their PCI addresses at define time and keeps them: so does jkvm for disks.
            d = PciSlots.assign(DomainXml.parse(xml).withUuidIfAbsent());
        } catch (DomainXmlException e) {
            throw xmlError(e);
        }
        try {
            if (d.name() == null || d.name().isBlank()) {
                throw LibvirtError.xmlError("missing domain name; add <name>NAME</name> to the definition");
            }
            SupportReport report = JkvmSupport.check(d);
            if (!report.ok()) {
                try {
                    report.requireOk(d.name());
                } catch (DomainXmlException e) {
                    throw new LibvirtError(ErrorCodes.CONFIG_UNSUPPORTED, ErrorCodes.FROM_DOMAIN,
                            "unsupported configuration: " + e.getMessage(), e);
                }
            }
            return toDefinition(d);
        } catch (DomainXmlException e) {
            throw xmlError(e);
        }
    }

    private static LibvirtError xmlError(DomainXmlException e) {
        return new LibvirtError(ErrorCodes.XML_ERROR, ErrorCodes.FROM_DOMAIN, "XML error: " + e.getMessage(), e);
    }

    private static Definition toDefinition(DomainDefinition d) {
        UUID uuid;
        try {
            uuid = UUID.fromString(d.uuid());
        } catch (IllegalArgumentException e) {
            throw LibvirtError.xmlError("malformed uuid '" + d.uuid() + "' in domain '" + d.name() + "'");
        }
        return new Definition(d.name(), uuid, d.memoryBytes() / 1024, Math.max(1, d.vcpus()),
                DomainXml.format(d.persistent()), d.model().type);
    }

    @Override
    public List<String> engineArgs(Definition def, EnginePaths paths) {
        try {
            DomainDefinition parsed = DomainXml.parse(def.xml());
            for (String tap : org.jkvm.domainxml.InterfaceMapping.unmanagedTaps(parsed.model())) {
                if (!java.nio.file.Files.exists(Path.of("/sys/class/net", tap))) {
                    throw LibvirtError.operationFailed("tap device '" + tap + "' does not exist; create it (ip tuntap"
                            + " add " + tap + " mode tap) or drop managed='no' so that the engine creates it");
                }
            }
            List<String> args = new ArrayList<>(EngineArgs.of(parsed, runtime(paths)));
            // The engine always has COM1 and the firmware always writes to it: keep its output in the serial log
            // even when the definition names no serial port, so heartbeats and crash output are never lost.
            int i = args.indexOf("-serial");
            if (i >= 0 && i + 1 < args.size() && args.get(i + 1).equals("null")) {
                args.set(i + 1, paths.serialBackend());
            }
            return args;
        } catch (DomainXmlException e) {
            throw new LibvirtError(ErrorCodes.CONFIG_UNSUPPORTED, ErrorCodes.FROM_DOMAIN,
                    "unsupported configuration: " + e.getMessage(), e);
        }
    }

    private static RuntimePaths runtime(EnginePaths paths) {
        return new RuntimePaths(paths.qmp(), paths.serial(), paths.pidfile(), paths.console());
    }

    @Override
    public String liveXml(Definition def, int id, EnginePaths paths) {
        return LiveXml.format(DomainXml.parse(def.xml()), id, paths.serial(), CHAINS);
    }

    @Override
    public List<Definition> loadAll() {
        DomainStore.LoadResult r = store.loadAll();
        for (DomainStore.BrokenFile b : r.broken()) {
            LOG.warn("skipping unreadable definition {}: {}", b.file(), b.reason());
        }
        List<Definition> out = new ArrayList<>();
        for (DomainDefinition d : r.definitions()) {
            try {
                out.add(toDefinition(d.withUuidIfAbsent()));
            } catch (RuntimeException e) {
                LOG.warn("skipping definition of {}: {}", d.name(), e.getMessage());
            }
        }
        return out;
    }

    @Override
    public void store(Definition def) {
        try {
            store.save(DomainXml.parse(def.xml()));
        } catch (DomainXmlException e) {
            throw VirErrors.operationFailed("cannot store the definition of '" + def.name() + "': "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void remove(Definition def) {
        try {
            store.delete(def.name());
        } catch (DomainXmlException e) {
            throw VirErrors.operationFailed("cannot remove the definition of '" + def.name() + "': "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String capabilities(boolean kvm) {
        HostInfo h = host;
        if (h == null) {
            // /proc does not change while the daemon runs: probe once. Whether KVM works may change: the caller asks.
            h = HostInfo.probe(engine);
            host = h;
        }
        return Capabilities.host(h, kvm);
    }

    @Override
    public String domainCapabilities(String virtType) {
        return Capabilities.domain(engine, virtType);
    }

    @Override
    public String emulator() {
        return engine;
    }

    @Override
    public void abiCheck(Definition source, Definition destination) {
        try {
            AbiCheck.require(DomainXml.parse(source.xml()), DomainXml.parse(destination.xml()));
        } catch (DomainXmlException e) {
            throw new LibvirtError(ErrorCodes.CONFIG_UNSUPPORTED, ErrorCodes.FROM_DOMAIN,
                    "unsupported configuration: " + e.getMessage(), e);
        }
    }

    @Override
    public Definition rename(Definition def, String name) {
        return parse(DomainXml.format(DomainXml.parse(def.xml()).withName(name)));
    }
}
