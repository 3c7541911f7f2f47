package org.jkvm.softcpu.mem;

import java.util.Arrays;
import java.util.function.Consumer;

/** A small open-addressing map from long keys (never -1) to objects: lookups allocate nothing. */
public final class LongMap<V> {
    private long[] keys = new long[64];
    private Object[] vals = new Object[64];
    private int size;

    public LongMap() {
        Arrays.fill(keys, -1L);
    }

    private static int hash(long k, int mask) {
        long h = k * 0x9e3779b97f4a7c15L;
        return (int) (h >>> 40) & mask;
    }

    @SuppressWarnings("unchecked")
    public V get(long k) {
        int mask = keys.length - 1;
        for (int i = hash(k, mask); ; i = (i + 1) & mask) {
            long kk = keys[i];
            if (kk == k) {
                return (V) vals[i];
            }
            if (kk == -1L) {
                return null;
            }
        }
    }

    public void put(long k, V v) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = hash(k, mask); ; i = (i + 1) & mask) {
            if (keys[i] == k) {
                vals[i] = v;
                return;
            }
            if (keys[i] == -1L) {
                keys[i] = k;
                vals[i] = v;
                size++;
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    public V remove(long k) {
        int mask = keys.length - 1;
        int i = hash(k, mask);
        for (; ; i = (i + 1) & mask) {
            if (keys[i] == -1L) {
                return null;
            }
            if (keys[i] == k) {
                break;
            }
        }
        V old = (V) vals[i];
        keys[i] = -1L;
        vals[i] = null;
        size--;
        // Re-insert the rest of the cluster (linear probing deletion).
        for (int j = (i + 1) & mask; keys[j] != -1L; j = (j + 1) & mask) {
            long kk = keys[j];
            Object vv = vals[j];
            keys[j] = -1L;
            vals[j] = null;
            size--;
            put(kk, (V) vv);
        }
        return old;
    }

    @SuppressWarnings("unchecked")
    public void forEachValue(Consumer<V> f) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != -1L) {
                f.accept((V) vals[i]);
            }
        }
    }

    public void clear() {
        Arrays.fill(keys, -1L);
        Arrays.fill(vals, null);
        size = 0;
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        long[] ok = keys;
        Object[] ov = vals;
        keys = new long[ok.length * 2];
        vals = new Object[ok.length * 2];
        Arrays.fill(keys, -1L);
        size = 0;
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != -1L) {
                put(ok[i], (V) ov[i]);
            }
        }
    }
}
