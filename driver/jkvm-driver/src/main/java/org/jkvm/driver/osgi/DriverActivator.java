package org.jkvm.driver.osgi;

import java.util.Dictionary;
import java.util.Hashtable;

import org.jkvm.driver.DomainManager;
import org.jkvm.driver.DriverConfig;
import org.jkvm.driver.DriverSettings;
import org.jkvm.driver.JkvmDriver;
import org.jkvm.driver.XmlDefinitions;
import org.jkvm.remote.spi.HypervisorDriver;
import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the jkvm driver in OSGi: reads {@link DriverSettings} from the framework properties, opens the state
 * folder (re-attaching to running engines), and registers the driver as a {@link HypervisorDriver} service with
 * property {@code jkvm.uri.schemes}. Stopping the bundle unregisters it and detaches from the engines, which
 * keep running.
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class DriverActivator implements BundleActivator {
    /** Service property listing the URI schemes the driver serves. */
    public static final String SCHEMES = "jkvm.uri.schemes";
    private static final Logger LOG = LoggerFactory.getLogger(DriverActivator.class);

    private DomainManager manager;
    private ServiceRegistration<HypervisorDriver> registration;
    private Thread autostart;

    @Override
    public void start(BundleContext context) {
        DriverConfig config = DriverSettings.from(context::getProperty);
        manager = new DomainManager(config, new XmlDefinitions(config.stateDir(), config.engineCommand().get(0)));
        JkvmDriver driver = new JkvmDriver(manager, config.qemuAlias());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(SCHEMES, config.qemuAlias() ? new String[] {"jkvm", "qemu"} : new String[] {"jkvm"});
        registration = context.registerService(HypervisorDriver.class, driver, props);
        LOG.info("jkvm driver registered (state {}, qemu alias {})", config.stateDir(), config.qemuAlias());
        DomainManager m = manager;
        autostart = new Thread(() -> {
            m.warmUp();
            m.autostart();
        }, "jkvm-autostart");
        autostart.setDaemon(true);
        autostart.start();
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        // The bundle's class loader goes away after stop: let the warm-up and autostart finish first.
        if (autostart != null) {
            autostart.join(30_000);
            autostart = null;
        }
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        if (manager != null) {
            manager.close();
            manager = null;
        }
        LOG.info("jkvm driver unregistered; engines keep running");
    }
}
