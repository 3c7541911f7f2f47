/** The migration stream codec (internal): record writer and reader, RAM sender, loader, return path. */
package org.jkvm.migration.stream;
