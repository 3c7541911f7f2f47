package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Acceptance "OSGi": Apache Felix with this bundle, the JAXB API, activation API and the jaxb-osgi runtime;
 * a definition is parsed and written inside the framework, by the bundle's own classes.
 */
class FelixBundleTest {
    @TempDir
    Path tmp;

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** This module as a bundle jar: target/classes with the manifest bnd wrote there. */
    private Path ownBundle() throws Exception {
        Path classes = location(DomainXml.class);
        if (Files.isRegularFile(classes)) {
            return classes;
        }
        Path jar = tmp.resolve("jkvm-domain-xml.jar");
        Manifest mf;
        try (var in = Files.newInputStream(classes.resolve("META-INF/MANIFEST.MF"))) {
            mf = new Manifest(in);
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, mf);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                if (!name.equals("META-INF/MANIFEST.MF")) {
                    j.putNextEntry(new JarEntry(name));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
        }
        return jar;
    }

    @Test
    void parsesAndFormatsInsideFelix() throws Exception {
        Map<String, String> config = Map.of(
                Constants.FRAMEWORK_STORAGE, tmp.resolve("cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=2.0.20");
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        Framework felix = factory.newFramework(config);
        felix.start();
        try {
            BundleContext ctx = felix.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (Path jar : List.of(location(jakarta.xml.bind.JAXBContext.class),
                    location(jakarta.activation.DataHandler.class),
                    location(Class.forName("org.glassfish.jaxb.runtime.v2.ContextFactory")), ownBundle())) {
                bundles.add(ctx.installBundle(jar.toUri().toString()));
            }
            for (Bundle b : bundles) {
                b.start();
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " did not start");
            }
            Bundle ours = bundles.get(bundles.size() - 1);
            assertEquals("org.jkvm.domain-xml", ours.getSymbolicName());
            Class<?> api = ours.loadClass(DomainXml.class.getName());
            assertNotSame(DomainXml.class, api, "the class must come from the bundle, not the test class path");
            Object def = api.getMethod("parse", String.class).invoke(null, Fixtures.guest());
            assertEquals("guest1", def.getClass().getMethod("name").invoke(def));
            Object text = api.getMethod("format", def.getClass()).invoke(null, def);
            assertEquals(DomainXml.format(DomainXml.parse(Fixtures.guest())), text);
            Class<?> fp = ours.loadClass(Fingerprint.class.getName());
            assertEquals(Fingerprint.of(DomainXml.parse(Fixtures.guest())),
                    fp.getMethod("of", def.getClass()).invoke(null, def));
        } finally {
            felix.stop();
            felix.waitForStop(10_000);
        }
    }
}
