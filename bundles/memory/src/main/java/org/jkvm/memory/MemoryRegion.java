package org.jkvm.memory;

import java.nio.ByteBuffer;

/**
 * One contiguous block of guest RAM: a KVM memory slot backed by one host mapping.
 *
 * <p>Offsets are relative to the region start ({@code offset = gpa - gpa()}); lengths are in bytes.
 */
public interface MemoryRegion {
    /** The KVM slot number this region is registered as. */
    int slot();

    /** Guest-physical address of the first byte. */
    long gpa();

    /** Size in bytes, a multiple of {@link GuestMemory#PAGE_SIZE}. */
    long sizeBytes();

    /** Host virtual address of the first byte (for KVM_SET_USER_MEMORY_REGION). */
    long hva();

    /**
     * A direct little-endian view of {@code [offset, offset + length)}; {@code length} is at most 1 GiB.
     * Writes through the view are not recorded in the VMM dirty bitmap.
     */
    ByteBuffer view(long offset, int length);

    /** The pages written by the VMM (devices, loader) since migration last collected them. */
    DirtyBitmap vmmDirty();

    /**
     * The pages that may hold non-zero data, as a new bitmap (a snapshot). A page <em>not</em> marked reads as
     * all zeros now and stays zero until something writes it (the guest, the VMM, a view). Finding this out
     * reads no guest RAM, so never-touched pages stay unallocated on the host.
     *
     * <p>Callers that race with writers must order themselves: a write that completed before this call is
     * reported; a later write must be caught another way (migration's dirty log, started before this call).
     * The default marks every page, which is always correct (it only means "read the page to know").
     */
    default DirtyBitmap populated() {
        DirtyBitmap all = new DirtyBitmap(pages());
        all.markAll();
        return all;
    }

    /**
     * Asks the host to allocate the memory behind {@code [offset, offset + length)} now, so that a later first
     * write there does not pay the allocation (and zeroing) inside the writer: the incoming migration does this on
     * another thread, ahead of the stream. Contents do not change: a page holding data keeps it, any other page
     * still reads zero. Safe to call while other threads write the same pages. The range is committed host memory
     * afterwards, so call it only for ranges about to be written. A preallocated page may count as
     * {@link #populated()} afterwards (it reads zero).
     *
     * <p>The default does nothing and returns false, which is always correct: writes then allocate as they go.
     *
     * @return true if the range is allocated now; false if this region cannot preallocate (no memfd) or the
     *         host refused (e.g. out of memory): the caller should stop asking
     * @throws GuestMemoryException if the range is outside the region or the region is closed
     */
    default boolean preallocate(long offset, long length) {
        if (offset < 0 || length < 0 || offset > sizeBytes() - length) {
            throw new GuestMemoryException("preallocation range " + offset + "+" + length
                    + " is outside a region of " + sizeBytes() + " bytes");
        }
        return false;
    }

    /**
     * Called after the VMM wrote guest RAM through {@link GuestMemory#write} or its scalar writes (device DMA, the
     * loader): a software CPU drops decoded code of those pages. Bulk {@link #view} writes are not reported.
     */
    @FunctionalInterface
    interface WriteHook {
        /** {@code [offset, offset + length)} of the region was written. */
        void written(long offset, long length);
    }

    /**
     * Installs (or, with null, removes) the region's write hook; one at a time. The default does nothing, which a
     * caller may not rely on: only regions that can report VMM writes implement it.
     *
     * @return whether this region reports writes
     */
    default boolean setWriteHook(WriteHook hook) {
        return false;
    }

    /** Number of pages in the region. */
    default long pages() {
        return sizeBytes() / GuestMemory.PAGE_SIZE;
    }
}
