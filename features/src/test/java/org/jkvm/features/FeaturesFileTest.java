package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import javax.xml.parsers.DocumentBuilderFactory;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Checks features/src/main/feature/feature.xml against the built reactor. */
class FeaturesFileTest {
    /** Reactor modules that are not shipped: the test kit and this module. */
    private static final List<String> NOT_SHIPPED = List.of("jkvm-testkit", "jkvm-features");

    private static Document xml(Path p) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(p.toFile());
    }

    private static List<String> texts(Document d, String tag) {
        List<String> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagNameNS("*", tag);
        for (int i = 0; i < nl.getLength(); i++) {
            out.add(nl.item(i).getTextContent().trim());
        }
        return out;
    }

    /** artifactId to module folder, from the root pom's module list. */
    private static Map<String, Path> reactor() throws Exception {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String module : texts(xml(RepoPaths.root().resolve("pom.xml")), "module")) {
            Path dir = RepoPaths.root().resolve(module);
            Document pom = xml(dir.resolve("pom.xml"));
            NodeList children = pom.getDocumentElement().getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                if (children.item(i) instanceof Element e && e.getLocalName().equals("artifactId")) {
                    out.put(e.getTextContent().trim(), dir);
                }
            }
        }
        return out;
    }

    private static Path localRepo() {
        String p = System.getProperty("maven.repo.local");
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    @Test
    void everyReactorBundleIsListedAndEveryListedJarIsABundle() throws Exception {
        Path features = RepoPaths.of("features", "src", "main", "feature", "feature.xml");
        Document doc = xml(features);
        assertEquals("http://karaf.apache.org/xmlns/features/v1.6.0", doc.getDocumentElement().getNamespaceURI());
        List<String> bundles = texts(doc, "bundle");
        Map<String, Path> reactor = reactor();
        String version = "0.1.0-SNAPSHOT";
        for (String artifact : reactor.keySet()) {
            if (!NOT_SHIPPED.contains(artifact)) {
                assertTrue(bundles.contains("mvn:org.jkvm/" + artifact + "/" + version),
                        artifact + " is built by the reactor but not listed in " + features);
            }
        }
        for (String b : bundles) {
            String[] gav = b.substring("mvn:".length()).split("/");
            assertEquals(3, gav.length, "bundle entry " + b + " is not mvn:GROUP/ARTIFACT/VERSION");
            Path jar;
            if (gav[0].equals("org.jkvm")) {
                Path module = reactor.get(gav[1]);
                assertNotNull(module, b + " names no reactor module");
                jar = module.resolve("target").resolve(gav[1] + "-" + gav[2] + ".jar");
            } else {
                jar = localRepo().resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2])
                        .resolve(gav[1] + "-" + gav[2] + ".jar");
            }
            Require.path(jar, "build the reactor (mvn -B install) so " + b + " exists");
            try (JarFile jf = new JarFile(jar.toFile())) {
                assertNotNull(jf.getManifest(), jar + " has no manifest");
                String bsn = jf.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
                assertNotNull(bsn, jar + " (" + b + ") is not an OSGi bundle");
            }
        }
        assertTrue(Files.size(features) > 0);
    }
}
