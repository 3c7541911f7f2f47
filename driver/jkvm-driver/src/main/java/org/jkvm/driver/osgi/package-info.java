/**
 * Starts the jkvm driver in OSGi (settings from the framework properties, the driver registered as a
 * {@code HypervisorDriver} service). The only driver package that imports {@code org.osgi}.
 */
package org.jkvm.driver.osgi;
