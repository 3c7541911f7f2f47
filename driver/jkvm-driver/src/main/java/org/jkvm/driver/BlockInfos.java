package org.jkvm.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.jkvm.domainxml.DiskMapping;
import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.remote.BlockInfo;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;

/**
 * {@code virsh domblkinfo}: a disk's capacity, allocation and physical size, read from its image file. Capacity is
 * a qcow2 image's virtual size (header bytes 24-31, big-endian, qcow2 spec) or a raw file's size; physical is the
 * file's size; allocation is the file's size too, since Java cannot read the file's allocated block count (so a
 * sparse raw file reports its full size). Thread-safe (stateless).
 */
final class BlockInfos {
    private static final int QCOW2_MAGIC = 0x514649fb;

    private BlockInfos() {
    }

    /**
     * The sizes of the disk of the domain XML {@code xml} whose target ({@code vda}) or source file is {@code path}.
     *
     * @throws LibvirtError INVALID_ARG when no disk matches, OPERATION_FAILED when the image cannot be read
     */
    static BlockInfo of(String xml, String path) {
        DomainDefinition def = DomainXml.parse(xml);
        for (Disk d : def.devices(Disk.class)) {
            String file = d.source == null ? null : d.source.file;
            if (path.equals(DiskMapping.target(d)) || path.equals(file)) {
                return read(Path.of(file), d.driver == null ? null : d.driver.type);
            }
        }
        throw new LibvirtError(ErrorCodes.INVALID_ARG, ErrorCodes.FROM_DOMAIN, "invalid argument: invalid path "
                + path + " not assigned to domain");
    }

    private static BlockInfo read(Path file, String format) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long capacity = size;
            if ("qcow2".equals(format)) {
                ByteBuffer h = ByteBuffer.allocate(32);
                while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
                    continue;
                }
                if (h.hasRemaining() || h.getInt(0) != QCOW2_MAGIC) {
                    throw VirErrors.operationFailed("image " + file + " is not a qcow2 image (no QFI header);"
                            + " fix <driver type> in the domain XML", null);
                }
                capacity = h.getLong(24);
            }
            return new BlockInfo(size, capacity, size);
        } catch (NoSuchFileException e) {
            throw VirErrors.operationFailed("image " + file + " does not exist; create it or fix <source file>", e);
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }
}
