package org.jkvm.rpc;

/**
 * A transport or framing failure of the RPC layer: a bad frame length, a socket that cannot be bound, a peer
 * that closed mid-call. The one unchecked exception type of this layer; driver errors stay
 * {@link org.jkvm.remote.LibvirtError}.
 */
public final class RpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a one-sentence message. */
    public RpcException(String message) {
        super(message);
    }

    /** The same, chaining the cause. */
    public RpcException(String message, Throwable cause) {
        super(message, cause);
    }
}
