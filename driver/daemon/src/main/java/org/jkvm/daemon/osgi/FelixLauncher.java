package org.jkvm.daemon.osgi;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts an embedded OSGi framework (Apache Felix, found through {@link FrameworkFactory}) and installs and
 * starts every bundle jar of a folder. SLF4J is exported from the launcher's class path through
 * {@code org.osgi.framework.system.packages.extra}, so no ServiceLoader mediator is needed; jars without a
 * {@code Bundle-SymbolicName}, SLF4J's own jars and the framework itself are skipped.
 */
public final class FelixLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(FelixLauncher.class);

    private FelixLauncher() {
    }

    /**
     * Starts the framework with every bundle in {@code bundleDir} ACTIVE.
     *
     * @param bundleDir  the folder of bundle jars
     * @param cacheDir   the framework's storage (cleaned at each start)
     * @param properties extra framework properties (the jkvm.* settings)
     * @return the running framework
     * @throws IllegalStateException naming the bundle when one cannot be installed or started
     */
    public static Framework start(Path bundleDir, Path cacheDir, Map<String, String> properties) {
        Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, cacheDir.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        String v = slf4jVersion();
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "org.slf4j;version=" + v + ",org.slf4j.spi;version=" + v
                + ",org.slf4j.event;version=" + v + ",org.slf4j.helpers;version=" + v);
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, FelixLauncher.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path; "
                        + "put org.apache.felix.framework on the launcher's class path"));
        Framework fw = factory.newFramework(config);
        try {
            fw.init();
            fw.start();
            List<Bundle> installed = new ArrayList<>();
            for (Path jar : bundleJars(bundleDir)) {
                installed.add(fw.getBundleContext().installBundle(jar.toUri().toString()));
            }
            for (Bundle b : installed) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    start(b);
                }
            }
            LOG.info("OSGi framework started with {} bundles from {}", installed.size(), bundleDir);
            return fw;
        } catch (BundleException | RuntimeException e) {
            stopQuietly(fw);
            throw new IllegalStateException("cannot start the daemon's OSGi framework: " + e.getMessage(), e);
        }
    }

    private static void start(Bundle b) throws BundleException {
        try {
            b.start();
        } catch (BundleException e) {
            throw new BundleException("bundle " + b.getSymbolicName() + " " + b.getVersion() + " did not start: "
                    + e.getMessage(), e);
        }
    }

    /** The bundle jars of a folder, sorted by name; non-bundles, SLF4J and the framework itself are left out. */
    public static List<Path> bundleJars(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path jar : ds) {
                String bsn = symbolicName(jar);
                if (bsn == null || bsn.startsWith("slf4j.") || bsn.startsWith("org.slf4j")
                        || bsn.equals("org.apache.felix.framework")) {
                    continue;
                }
                out.add(jar);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the bundle folder " + dir + ": " + e.getMessage()
                    + "; build it with bin/jkvmd or give --bundles", e);
        }
        out.sort(null);
        return out;
    }

    /** A jar's Bundle-SymbolicName (without directives), or null when it is not a bundle. */
    public static String symbolicName(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest mf = jf.getManifest();
            String bsn = mf == null ? null : mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            return bsn == null ? null : bsn.split(";")[0].trim();
        } catch (IOException e) {
            LOG.warn("skipping unreadable jar {}: {}", jar, e.getMessage());
            return null;
        }
    }

    private static String slf4jVersion() {
        Package p = LoggerFactory.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null || !v.matches("[0-9]+(\\.[0-9]+){0,2}") ? "2.0.20" : v;
    }

    /** Stops the framework and waits up to 30 s. */
    public static void stopQuietly(Framework fw) {
        try {
            fw.stop();
            fw.waitForStop(30_000);
        } catch (BundleException | InterruptedException e) {
            LOG.warn("the OSGi framework did not stop cleanly: {}", e.getMessage());
        }
    }
}
