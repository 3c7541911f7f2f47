/**
 * {@code jkvmd}, the daemon's entry point: its options (command line and config file, validated once) and the
 * launch of the embedded OSGi framework that runs the driver, RPC server and domain-xml bundles. No domain logic.
 */
package org.jkvm.daemon;
