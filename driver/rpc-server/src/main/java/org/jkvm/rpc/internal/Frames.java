package org.jkvm.rpc.internal;

import java.util.function.Consumer;

import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.xdr.XdrWriter;

/** Builds complete outgoing frames: length word, header, payload. */
public final class Frames {
    private Frames() {
    }

    /**
     * Encodes a frame whose payload {@code body} writes (nothing for void).
     *
     * @return the writer holding the frame in {@code [0, position())}
     */
    public static XdrWriter frame(MessageHeader header, Consumer<XdrWriter> body) {
        XdrWriter w = new XdrWriter(128);
        w.writeInt(0);
        header.write(w);
        if (body != null) {
            body.accept(w);
        }
        return w.putIntAt(0, w.position());
    }

    /** The ERROR reply to {@code call} carrying {@code error} as a {@code remote_error}. */
    public static XdrWriter error(MessageHeader call, LibvirtError error) {
        return frame(call.reply(Programs.STATUS_ERROR), w -> RemoteCodec.writeError(w, error));
    }
}
