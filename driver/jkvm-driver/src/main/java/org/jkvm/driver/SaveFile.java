package org.jkvm.driver;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.jkvm.remote.LibvirtError;

/**
 * The header of a jkvm save file: the domain XML, then (from {@code streamOffset}) the engine's migration
 * stream as written by {@code migrate exec:cat >> FILE}. All integers big-endian.
 *
 * <pre>
 *  0      8        12       16        20          24              H
 *  +------+--------+--------+---------+-----------+---------------+----------------------------+
 *  |magic |version | flags  | xml len | H (offset)| XML (UTF-8), zero padding | migration stream |
 *  +------+--------+--------+---------+-----------+---------------+----------------------------+
 *  magic = "JKVMSAVE", version = 1, flags bit 0 = the guest was running, H = header size (4 KiB multiple)
 * </pre>
 *
 * @param xml          the domain XML to restore
 * @param running      whether the guest was running when saved
 * @param streamOffset where the migration stream starts
 */
record SaveFile(String xml, boolean running, long streamOffset) {
    static final byte[] MAGIC = "JKVMSAVE".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** The largest XML accepted in a header, so a corrupt length cannot make us allocate gigabytes. */
    static final int MAX_XML = 4 << 20;
    private static final int FIXED = 24;
    private static final int ALIGN = 4096;

    /** Writes the header to a new file (replacing any old one) and returns the stream offset. */
    static long writeHeader(Path file, String xml, boolean running) throws IOException {
        byte[] x = xml.getBytes(StandardCharsets.UTF_8);
        int h = (FIXED + x.length + ALIGN - 1) / ALIGN * ALIGN;
        ByteBuffer b = ByteBuffer.allocate(h);
        b.put(MAGIC).putInt(VERSION).putInt(running ? 1 : 0).putInt(x.length).putInt(h).put(x);
        Files.write(file, b.array());
        return h;
    }

    /**
     * Reads and checks a save file's header.
     *
     * @throws LibvirtError 9 OPERATION_FAILED naming the file when it is not a jkvm save file or is truncated
     */
    static SaveFile read(Path file) {
        try (InputStream in = Files.newInputStream(file); DataInputStream d = new DataInputStream(in)) {
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw VirErrors.operationFailed("'" + file + "' is not a jkvm save file (bad magic)", null);
            }
            int version = d.readInt();
            if (version != VERSION) {
                throw VirErrors.operationFailed("save file '" + file + "' has version " + version
                        + "; this daemon reads version " + VERSION, null);
            }
            int flags = d.readInt();
            int len = d.readInt();
            int h = d.readInt();
            if (len < 0 || len > MAX_XML || h < FIXED + len || h % ALIGN != 0 || h > Files.size(file)) {
                throw VirErrors.operationFailed("save file '" + file + "' has a corrupt header (xml length " + len
                        + ", stream offset " + h + ")", null);
            }
            byte[] x = new byte[len];
            d.readFully(x);
            return new SaveFile(new String(x, StandardCharsets.UTF_8), (flags & 1) != 0, h);
        } catch (java.nio.file.NoSuchFileException e) {
            throw VirErrors.operationFailed("save file '" + file + "' does not exist on the daemon's host", e);
        } catch (java.io.EOFException e) {
            throw VirErrors.operationFailed("save file '" + file + "' is truncated", e);
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot read save file '" + file + "': " + e.getMessage(), e);
        }
    }

    /** A path quoted for {@code sh -c}. */
    static String shellQuote(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }
}
