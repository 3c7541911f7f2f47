/**
 * Disk images in Java, compatible with QEMU's tools: raw files, and qcow2 (versions 2 and 3 read, version 3 written)
 * with backing chains, as {@code qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2} makes them.
 *
 * <p><b>Use.</b> {@link org.jkvm.block.BlockImages#open} with {@link org.jkvm.block.OpenOptions} (format, cache mode,
 * read-only, {@code -snapshot}, inactive for a migration destination) gives a {@link org.jkvm.block.BlockImage}:
 * byte-addressed {@code read}/{@code write}/{@code flush}, safe to call from an I/O thread pool (its Javadoc states
 * the guarantees). Failures are one unchecked {@link org.jkvm.block.BlockException} with a {@code Kind} and a
 * one-sentence message.
 *
 * <p><b>Crash consistency.</b> qcow2 metadata is written through to the file as it changes (no dirty metadata
 * cache), in the order refcount - data - L2 entry - freeing of the old cluster, and refcount - zeroed L2 table - L1
 * entry, with {@code fdatasync} barriers where a host crash could reorder what must not be reordered: after each
 * batch of reserved refcounts, after a refcount block and before the table names it, around a refcount table move,
 * and between copied-in data and its L2 entry. A kill at any moment leaves an image that {@code qemu-img check}
 * finds clean but for leaked clusters (the unused rest of a reservation batch). {@code unsafe} skips the barriers:
 * a killed process still leaves a consistent image (the kernel keeps the order of completed writes), a host crash
 * may not.
 *
 * <p><b>Locking.</b> QEMU's OFD lock bytes (see {@code ImageLock}): a writer excludes every other writer and reader
 * in QEMU or jkvm; readers (backing files, {@code readonly=on}) coexist. A migration destination opens inactive
 * (no locks), the source {@link org.jkvm.block.BlockImage#inactivate()}s at the handover, the destination
 * {@link org.jkvm.block.BlockImage#activate()}s; a source whose migration failed activates again.
 *
 * <p><b>Untrusted input.</b> Every size in a header is capped before anything is allocated for it (L1 32 MiB,
 * refcount table 8 MiB, backing name 1023 bytes, chain depth 64); tables are checked when read (entries inside the
 * file, aligned, not pointing at metadata). A bad image gives a sentence and nothing is written to it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.block;
