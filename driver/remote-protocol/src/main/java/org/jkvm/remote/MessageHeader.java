package org.jkvm.remote;

import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/**
 * The 24-byte libvirt RPC header that follows the length word.
 *
 * @param program   program number, e.g. {@link Programs#REMOTE}
 * @param version   program version (1)
 * @param procedure procedure number within the program
 * @param type      {@link Programs#TYPE_CALL} and friends
 * @param serial    the call id, echoed in the reply (clients start at 0)
 * @param status    {@link Programs#STATUS_OK} and friends
 */
public record MessageHeader(int program, int version, int procedure, int type, int serial, int status) {

    /** Decodes a header. */
    public static MessageHeader read(XdrReader r) {
        return new MessageHeader(r.readInt("header.prog"), r.readInt("header.vers"), r.readInt("header.proc"),
                r.readInt("header.type"), r.readInt("header.serial"), r.readInt("header.status"));
    }

    /** Encodes this header. */
    public void write(XdrWriter w) {
        w.writeInt(program).writeInt(version).writeInt(procedure).writeInt(type).writeInt(serial).writeInt(status);
    }

    /** The header of the reply to this call, with the given status. */
    public MessageHeader reply(int replyStatus) {
        return new MessageHeader(program, version, procedure, Programs.TYPE_REPLY, serial, replyStatus);
    }

    /** A CALL header on REMOTE_PROGRAM. */
    public static MessageHeader call(int procedure, int serial) {
        return new MessageHeader(Programs.REMOTE, Programs.VERSION, procedure, Programs.TYPE_CALL, serial,
                Programs.STATUS_OK);
    }

    /** A keepalive MESSAGE (PING or PONG), serial 0. */
    public static MessageHeader keepalive(int procedure) {
        return new MessageHeader(Programs.KEEPALIVE, Programs.VERSION, procedure, Programs.TYPE_MESSAGE, 0,
                Programs.STATUS_OK);
    }
}
