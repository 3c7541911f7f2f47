package org.jkvm.rpc.internal;

import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.xdr.XdrWriter;

/**
 * Combinators that build {@link Handler}s from driver methods, so that the common shapes (a domain in, void
 * out; a domain and flags in, a value out; ...) are written once instead of once per procedure.
 */
final class Handlers {
    private Handlers() {
    }

    /** Encodes a ret value. */
    interface Enc<T> extends BiConsumer<XdrWriter, T> {
    }

    /** Three-argument consumer (driver, domain, flags). */
    interface DomFlagsOp {
        void run(DriverConnection c, DomainRef d, int flags);
    }

    /** Three-argument function (driver, domain, flags). */
    interface DomFlagsFn<T> {
        T apply(DriverConnection c, DomainRef d, int flags);
    }

    static final Enc<String> STRING = (w, s) -> w.writeString(s, Programs.STRING_MAX);
    static final Enc<Long> HYPER = XdrWriter::writeHyper;
    static final Enc<Integer> INT = XdrWriter::writeInt;
    static final Enc<Boolean> BOOL = (w, b) -> w.writeInt(b ? 1 : 0);
    static final Enc<DomainRef> DOMAIN = RemoteCodec::writeDomain;

    /** void args, one value out. */
    static <T> Handler none(Function<DriverConnection, T> op, Enc<T> enc) {
        return (c, args, ret) -> enc.accept(ret, op.apply(c));
    }

    /** {@code dom} in, void out. */
    static Handler dom(BiConsumer<DriverConnection, DomainRef> op) {
        return (c, args, ret) -> op.accept(c, RemoteCodec.readDomain(args));
    }

    /** {@code dom; unsigned int flags} in, void out. */
    static Handler domFlags(DomFlagsOp op) {
        return (c, args, ret) -> {
            DomainRef d = RemoteCodec.readDomain(args);
            op.run(c, d, args.readInt("flags"));
        };
    }

    /** {@code dom} in, one value out. */
    static <T> Handler domTo(BiFunction<DriverConnection, DomainRef, T> op, Enc<T> enc) {
        return (c, args, ret) -> enc.accept(ret, op.apply(c, RemoteCodec.readDomain(args)));
    }

    /** {@code dom; unsigned int flags} in, one value out. */
    static <T> Handler domFlagsTo(DomFlagsFn<T> op, Enc<T> enc) {
        return (c, args, ret) -> {
            DomainRef d = RemoteCodec.readDomain(args);
            enc.accept(ret, op.apply(c, d, args.readInt("flags")));
        };
    }
}
