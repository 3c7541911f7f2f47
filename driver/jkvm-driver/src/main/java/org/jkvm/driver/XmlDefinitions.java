package org.jkvm.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.DomainXmlException;
import org.jkvm.driver.engine.EnginePaths;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Definitions} over the domain-xml module: parsing with {@link DomainXml}, definitions stored as one
 * canonical XML file per domain in {@code STATE/domains/NAME.xml}, and the engine command line.
 */
public final class XmlDefinitions implements Definitions {
    private static final Logger LOG = LoggerFactory.getLogger(XmlDefinitions.class);

    private final Path storeDir;

    /** Creates the adapter with its store under {@code stateDir/domains}. */
    public XmlDefinitions(Path stateDir) {
        this.storeDir = stateDir.resolve("domains");
    }

    @Override
    public Definition parse(String xml) {
        try {
            DomainDefinition d = model(xml);
            EngineCommand.validate(d);
            return toDefinition(d);
        } catch (DomainXmlException e) {
            throw xmlError(e);
        }
    }

    private static DomainDefinition model(String xml) {
        DomainDefinition d;
        try {
            d = DomainXml.parse(xml).withUuidIfAbsent();
        } catch (DomainXmlException e) {
            throw xmlError(e);
        }
        if (d.name() == null || d.name().isBlank()) {
            throw LibvirtError.xmlError("missing domain name; add <name>NAME</name> to the definition");
        }
        if (d.name().contains("/") || d.name().startsWith(".") || d.name().length() > 200) {
            throw LibvirtError.xmlError("domain name '" + d.name() + "' cannot be used as a file name; use "
                    + "letters, digits, '-', '_' and '.'");
        }
        if (d.memoryBytes() <= 0) {
            throw LibvirtError.xmlError("missing or zero <memory> in domain '" + d.name()
                    + "'; give the guest's memory, e.g. <memory unit='MiB'>64</memory>");
        }
        return d;
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
                DomainXml.format(d.persistent()));
    }

    @Override
    public List<String> engineArgs(Definition def, EnginePaths paths) {
        return EngineCommand.args(DomainXml.parse(def.xml()), paths);
    }

    @Override
    public String liveXml(Definition def, int id, EnginePaths paths) {
        DomainDefinition d = DomainXml.parse(def.xml());
        d.model().id = Integer.toString(id);
        return DomainXml.format(d);
    }

    @Override
    public List<Definition> loadAll() {
        List<Definition> out = new ArrayList<>();
        if (!Files.isDirectory(storeDir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(storeDir, "*.xml")) {
            for (Path f : ds) {
                try {
                    out.add(toDefinition(model(Files.readString(f, StandardCharsets.UTF_8))));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("skipping unreadable definition {}: {}", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot list the domain store " + storeDir + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void store(Definition def) {
        try {
            Files.createDirectories(storeDir);
            Path tmp = storeDir.resolve(def.name() + ".xml.tmp");
            Files.writeString(tmp, def.xml(), StandardCharsets.UTF_8);
            Files.move(tmp, storeDir.resolve(def.name() + ".xml"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot store the definition of '" + def.name() + "' in " + storeDir
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void remove(Definition def) {
        try {
            Files.deleteIfExists(storeDir.resolve(def.name() + ".xml"));
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot remove the definition of '" + def.name() + "' from " + storeDir
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String capabilities() {
        return EngineCommand.capabilities();
    }
}
