package org.jkvm.remote;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code remote_typed_param}: a named value whose wire discriminant is its type code (libvirt's
 * VIR_TYPED_PARAM_*). Used by migration parameters and job statistics.
 */
public sealed interface TypedParam {
    /** The field name, at most {@link Programs#FIELD_MAX} bytes. */
    String name();

    /** VIR_TYPED_PARAM_* code of this value (1 INT .. 7 STRING). */
    int typeCode();

    /** INT (1). */
    record Int(String name, int value) implements TypedParam {
        public int typeCode() {
            return 1;
        }
    }

    /** UINT (2), the 32 bits held in an int. */
    record UInt(String name, int value) implements TypedParam {
        public int typeCode() {
            return 2;
        }
    }

    /** LLONG (3). */
    record LLong(String name, long value) implements TypedParam {
        public int typeCode() {
            return 3;
        }
    }

    /** ULLONG (4), the 64 bits held in a long. */
    record ULLong(String name, long value) implements TypedParam {
        public int typeCode() {
            return 4;
        }
    }

    /** DOUBLE (5). */
    record Dbl(String name, double value) implements TypedParam {
        public int typeCode() {
            return 5;
        }
    }

    /** BOOLEAN (6). */
    record Bool(String name, boolean value) implements TypedParam {
        public int typeCode() {
            return 6;
        }
    }

    /** STRING (7). */
    record Str(String name, String value) implements TypedParam {
        /** Validates the value. */
        public Str {
            Objects.requireNonNull(value, "value");
        }

        public int typeCode() {
            return 7;
        }
    }

    /** The first parameter named {@code name}, if any. */
    static Optional<TypedParam> find(List<TypedParam> params, String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The value of the first STRING parameter named {@code name}, if any. */
    static Optional<String> string(List<TypedParam> params, String name) {
        return find(params, name).filter(Str.class::isInstance).map(p -> ((Str) p).value());
    }

    /** The value of the first integral parameter named {@code name} (INT, UINT, LLONG or ULLONG), if any. */
    static Optional<Long> number(List<TypedParam> params, String name) {
        return find(params, name).flatMap(p -> {
            if (p instanceof Int i) {
                return Optional.of((long) i.value());
            } else if (p instanceof UInt u) {
                return Optional.of(Integer.toUnsignedLong(u.value()));
            } else if (p instanceof LLong l) {
                return Optional.of(l.value());
            } else if (p instanceof ULLong u) {
                return Optional.of(u.value());
            }
            return Optional.empty();
        });
    }
}
