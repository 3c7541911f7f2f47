/**
 * The daemon's OSGi side: the Felix launcher, the bundle activator that serves the RPC listeners, and the driver
 * registry over the OSGi service registry. The only daemon package that imports {@code org.osgi}.
 */
package org.jkvm.daemon.osgi;
