/** Migration transports (internal): tcp, unix and exec channels and URI parsing. */
package org.jkvm.migration.transport;
