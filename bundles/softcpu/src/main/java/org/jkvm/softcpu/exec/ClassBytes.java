package org.jkvm.softcpu.exec;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The few pieces of the JVM class-file format (JVMS chapter 4, version 61) that {@link BlockCompiler} needs: a
 * constant pool with de-duplicated entries, static fields, methods with one Code attribute and an optional
 * StackMapTable. Written by hand instead of with a bytecode library because the generated classes have one shape
 * and the bundle then needs no extra dependency. Not thread-safe; one instance builds one class.
 */
final class ClassBytes {
    static final int ACC_PUBLIC = 0x0001;
    static final int ACC_STATIC = 0x0008;
    static final int ACC_FINAL = 0x0010;
    static final int ACC_SUPER = 0x0020;
    static final int ACC_SYNTHETIC = 0x1000;

    // Opcodes used by the translator (JVMS 6.5).
    static final int ALOAD_0 = 0x2a;
    static final int ALOAD_1 = 0x2b;
    static final int ASTORE_0 = 0x4b;
    static final int AALOAD = 0x32;
    static final int BIPUSH = 0x10;
    static final int SIPUSH = 0x11;
    static final int LDC_W = 0x13;
    static final int IRETURN = 0xac;
    static final int RETURN = 0xb1;
    static final int GETSTATIC = 0xb2;
    static final int PUTSTATIC = 0xb3;
    static final int GETFIELD = 0xb4;
    static final int PUTFIELD = 0xb5;
    static final int INVOKEVIRTUAL = 0xb6;
    static final int INVOKESPECIAL = 0xb7;
    static final int INVOKESTATIC = 0xb8;
    static final int CHECKCAST = 0xc0;
    static final int IFEQ = 0x99;
    static final int IFNULL = 0xc6;
    static final int GOTO = 0xa7;
    static final int LDC2_W = 0x14;
    static final int LCMP = 0x94;
    static final int LADD = 0x61;
    static final int DUP = 0x59;
    static final int ILOAD = 0x15;
    static final int LLOAD = 0x16;
    static final int ALOAD = 0x19;
    static final int ISTORE = 0x36;
    static final int LSTORE = 0x37;
    static final int ASTORE = 0x3a;
    static final int LALOAD = 0x2f;
    static final int LCONST_0 = 0x09;
    static final int IADD = 0x60;
    static final int LSUB = 0x65;
    static final int IMUL = 0x68;
    static final int LMUL = 0x69;
    static final int ISHL = 0x78;
    static final int LSHL = 0x79;
    static final int LSHR = 0x7b;
    static final int IUSHR = 0x7c;
    static final int LUSHR = 0x7d;
    static final int IAND = 0x7e;
    static final int LAND = 0x7f;
    static final int IOR = 0x80;
    static final int LOR = 0x81;
    static final int IXOR = 0x82;
    static final int LXOR = 0x83;
    static final int I2L = 0x85;
    static final int L2I = 0x88;
    static final int IFNE = 0x9a;
    static final int IF_ICMPGT = 0xa3;
    static final int DUP2 = 0x5c;
    static final int LASTORE = 0x50;
    static final int LNEG = 0x75;
    static final int LCONST_1 = 0x0a;

    private final ByteArrayOutputStream poolBytes = new ByteArrayOutputStream();
    private final DataOutputStream pool = new DataOutputStream(poolBytes);
    private final Map<String, Integer> entries = new HashMap<>();
    private int poolCount = 1;
    private final ByteArrayOutputStream fieldBytes = new ByteArrayOutputStream();
    private final DataOutputStream fields = new DataOutputStream(fieldBytes);
    private int fieldCount;
    private final ByteArrayOutputStream methodBytes = new ByteArrayOutputStream();
    private final DataOutputStream methods = new DataOutputStream(methodBytes);
    private int methodCount;
    private final String thisClass;

    /** A class file for the class whose internal name is {@code thisClass}. */
    ClassBytes(String thisClass) {
        this.thisClass = thisClass;
    }

    /** The internal name of the class being built. */
    String self() {
        return thisClass;
    }

    private int entry(String key, int tag, int a, int b, String utf) {
        Integer have = entries.get(key);
        if (have != null) {
            return have;
        }
        try {
            pool.writeByte(tag);
            if (utf != null) {
                pool.writeUTF(utf);
            } else {
                pool.writeShort(a);
                if (b >= 0) {
                    pool.writeShort(b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int index = poolCount++;
        entries.put(key, index);
        return index;
    }

    int utf8(String s) {
        return entry("U" + s, 1, 0, -1, s);
    }

    /** A CONSTANT_Class of an internal name ({@code java/lang/Object}) or array descriptor. */
    int classRef(String internalName) {
        return entry("C" + internalName, 7, utf8(internalName), -1, null);
    }

    int string(String s) {
        return entry("S" + s, 8, utf8(s), -1, null);
    }

    /** A CONSTANT_Long (it takes two pool slots, JVMS 4.4.5). */
    int longConst(long v) {
        Integer have = entries.get("J" + v);
        if (have != null) {
            return have;
        }
        try {
            pool.writeByte(5);
            pool.writeLong(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int index = poolCount;
        poolCount += 2;
        entries.put("J" + v, index);
        return index;
    }

    private int nameAndType(String name, String desc) {
        return entry("N" + name + ' ' + desc, 12, utf8(name), utf8(desc), null);
    }

    int fieldRef(String owner, String name, String desc) {
        return entry("F" + owner + '.' + name + ' ' + desc, 9, classRef(owner), nameAndType(name, desc), null);
    }

    int methodRef(String owner, String name, String desc) {
        return entry("M" + owner + '.' + name + desc, 10, classRef(owner), nameAndType(name, desc), null);
    }

    void field(int access, String name, String desc) {
        try {
            fields.writeShort(access);
            fields.writeShort(utf8(name));
            fields.writeShort(utf8(desc));
            fields.writeShort(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        fieldCount++;
    }

    /** A method with a Code attribute; {@code frames} is the StackMapTable's body (entry count first) or null. */
    void method(int access, String name, String desc, int maxStack, int maxLocals, byte[] code, byte[] frames) {
        try {
            methods.writeShort(access);
            methods.writeShort(utf8(name));
            methods.writeShort(utf8(desc));
            methods.writeShort(1);
            methods.writeShort(utf8("Code"));
            int framesLen = frames == null ? 0 : 6 + frames.length;
            methods.writeInt(12 + code.length + framesLen);
            methods.writeShort(maxStack);
            methods.writeShort(maxLocals);
            methods.writeInt(code.length);
            methods.write(code);
            methods.writeShort(0);                 // no exception table
            if (frames == null) {
                methods.writeShort(0);
            } else {
                methods.writeShort(1);
                methods.writeShort(utf8("StackMapTable"));
                methods.writeInt(frames.length);
                methods.write(frames);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        methodCount++;
    }

    /** The class file of {@link #self} (final, synthetic) extending {@code superClass}, with no interfaces. */
    byte[] toBytes(String superClass) {
        int self = classRef(thisClass);
        int sup = classRef(superClass);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(out)) {
            d.writeInt(0xcafebabe);
            d.writeShort(0);
            d.writeShort(61);
            d.writeShort(poolCount);
            d.write(poolBytes.toByteArray());
            d.writeShort(ACC_FINAL | ACC_SUPER | ACC_SYNTHETIC);
            d.writeShort(self);
            d.writeShort(sup);
            d.writeShort(0);
            d.writeShort(fieldCount);
            d.write(fieldBytes.toByteArray());
            d.writeShort(methodCount);
            d.write(methodBytes.toByteArray());
            d.writeShort(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Bytecode of one method, with the offsets of its branch targets for the StackMapTable. */
    static final class Code {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final ByteArrayOutputStream frames = new ByteArrayOutputStream();
        private int frameCount;
        private int lastFrame = -1;
        /** The verification types of the locals of the first frame (a full_frame), or null for a same_frame. */
        private byte[] firstLocals;
        private int firstLocalCount;

        /**
         * Makes the first frame a full_frame with these locals ({@code count} verification_type_info entries,
         * JVMS 4.7.4) and an empty stack; the later frames stay same_frames (the locals keep their types).
         */
        void firstFrameLocals(byte[] types, int count) {
            firstLocals = types;
            firstLocalCount = count;
        }

        /** A local's load or store ({@code ILOAD}, {@code LSTORE}, ...) with a one-byte index. */
        void local(int opcode, int index) {
            bytes.write(opcode);
            bytes.write(index);
        }

        /** Binds all branches in {@code ats} to the current position (one frame). */
        void bind(int... ats) {
            for (int at : ats) {
                if (at >= 0) {
                    patch(at);
                }
            }
            frame(pos());
        }

        private void patch(int at) {
            int here = pos();
            byte[] b = bytes.toByteArray();
            int off = here - at;
            b[at + 1] = (byte) (off >> 8);
            b[at + 2] = (byte) off;
            bytes.reset();
            bytes.write(b, 0, b.length);
        }

        int pos() {
            return bytes.size();
        }

        void op(int opcode) {
            bytes.write(opcode);
        }

        void op(int opcode, int u2) {
            bytes.write(opcode);
            bytes.write(u2 >> 8);
            bytes.write(u2);
        }

        /** Pushes a small int constant (0..32767). */
        void push(int v) {
            if (v <= 5) {
                bytes.write(0x03 + v);       // ICONST_0..5
            } else if (v <= 127) {
                bytes.write(BIPUSH);
                bytes.write(v);
            } else {
                op(SIPUSH, v);
            }
        }

        /** Writes a branch with a placeholder offset; returns its position for {@link #target}. */
        int branch(int opcode) {
            int at = pos();
            op(opcode, 0);
            return at;
        }

        /**
         * Binds the branch at {@code at} to the current position and records a frame there equal to the method's
         * initial frame (a same_frame: the locals are the arguments and the stack is empty).
         */
        void target(int at) {
            patch(at);
            frame(pos());
        }

        /**
         * Marks the current position as the target of a later backward {@link #jumpBack} (with the same frame as
         * {@link #target}) and returns it. Frames must come in code order: call it before any later target.
         */
        int label() {
            int here = pos();
            frame(here);
            return here;
        }

        /** A GOTO to an earlier {@link #label}. */
        void jumpBack(int label) {
            int off = label - pos();
            op(GOTO, off & 0xffff);
        }

        private void frame(int here) {
            if (here == lastFrame) {
                return;                        // two targets at one position share their frame
            }
            int delta = lastFrame < 0 ? here : here - lastFrame - 1;
            if (frameCount == 0 && firstLocals != null) {
                frames.write(255);
                frames.write(delta >> 8);
                frames.write(delta);
                frames.write(firstLocalCount >> 8);
                frames.write(firstLocalCount);
                frames.write(firstLocals, 0, firstLocals.length);
                frames.write(0);
                frames.write(0);
            } else if (delta <= 63) {
                frames.write(delta);
            } else {
                frames.write(251);
                frames.write(delta >> 8);
                frames.write(delta);
            }
            lastFrame = here;
            frameCount++;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }

        /** The StackMapTable body, or null without branch targets. */
        byte[] frames() {
            if (frameCount == 0) {
                return null;
            }
            byte[] f = frames.toByteArray();
            byte[] out = new byte[f.length + 2];
            out[0] = (byte) (frameCount >> 8);
            out[1] = (byte) frameCount;
            System.arraycopy(f, 0, out, 2, f.length);
            return out;
        }
    }
}
