/**
 * The migration stream codec (internal): {@link org.jkvm.migration.stream.StreamOut} writes every record,
 * {@link org.jkvm.migration.stream.RamSender} chooses the pages of each round, {@link
 * org.jkvm.migration.stream.StreamIn} and {@link org.jkvm.migration.stream.StreamLoader} read, and the return path
 * carries the destination's answers. It knows the memory and vmstate modules and nothing of the migration job
 * that drives it (the job's package depends on this one, never the reverse); its errors are
 * {@link org.jkvm.migration.stream.StreamException}s. The format is {@code docs/migration-stream.md}.
 */
package org.jkvm.migration.stream;
