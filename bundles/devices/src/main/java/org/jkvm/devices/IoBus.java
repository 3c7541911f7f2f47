package org.jkvm.devices;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Address ranges mapped to devices: the port-I/O bus or the MMIO bus.
 *
 * <p>Ranges are registered before the vCPU starts ({@link #register}); dispatch ({@link #read}, {@link #write})
 * is a binary search over sorted arrays and allocates nothing. Registration and dispatch may not run
 * concurrently: the engine registers every device before it starts the vCPU thread, and the arrays are
 * published through a volatile snapshot so a late registration is still seen safely.
 */
public final class IoBus {
    /** An immutable sorted snapshot of the ranges. */
    private record Ranges(long[] bases, long[] lengths, BusDevice[] devices) {
    }

    private final String name;
    private volatile Ranges ranges = new Ranges(new long[0], new long[0], new BusDevice[0]);

    /** @param name the bus name for errors, e.g. {@code "pio"} or {@code "mmio"} */
    public IoBus(String name) {
        this.name = name;
    }

    /**
     * Maps {@code [base, base + length)} to {@code device}.
     *
     * @throws DeviceException when the range is empty or overlaps a registered one
     */
    public synchronized void register(long base, long length, BusDevice device) {
        if (length <= 0) {
            throw new DeviceException("cannot register " + device.name() + " on the " + name
                    + " bus with length " + length + "; give a positive length");
        }
        Ranges r = ranges;
        int n = r.bases.length;
        for (int i = 0; i < n; i++) {
            if (base < r.bases[i] + r.lengths[i] && r.bases[i] < base + length) {
                throw new DeviceException(String.format("%s at 0x%x+%d overlaps %s at 0x%x+%d on the %s bus",
                        device.name(), base, length, r.devices[i].name(), r.bases[i], r.lengths[i], name));
            }
        }
        List<Integer> order = new ArrayList<>();
        long[] bases = Arrays.copyOf(r.bases, n + 1);
        long[] lengths = Arrays.copyOf(r.lengths, n + 1);
        BusDevice[] devices = Arrays.copyOf(r.devices, n + 1);
        bases[n] = base;
        lengths[n] = length;
        devices[n] = device;
        for (int i = 0; i <= n; i++) {
            order.add(i);
        }
        order.sort((a, b) -> Long.compareUnsigned(bases[a], bases[b]));
        long[] sb = new long[n + 1];
        long[] sl = new long[n + 1];
        BusDevice[] sd = new BusDevice[n + 1];
        for (int i = 0; i <= n; i++) {
            sb[i] = bases[order.get(i)];
            sl[i] = lengths[order.get(i)];
            sd[i] = devices[order.get(i)];
        }
        ranges = new Ranges(sb, sl, sd);
    }

    /**
     * Dispatches a guest read at {@code address}.
     *
     * @return false when no device holds the address ({@code data} is then left untouched)
     */
    public boolean read(long address, byte[] data) {
        Ranges r = ranges;
        int i = find(r, address);
        if (i < 0) {
            return false;
        }
        r.devices[i].read(address - r.bases[i], data);
        return true;
    }

    /**
     * Dispatches a guest write at {@code address}.
     *
     * @return false when no device holds the address
     */
    public boolean write(long address, byte[] data) {
        Ranges r = ranges;
        int i = find(r, address);
        if (i < 0) {
            return false;
        }
        r.devices[i].write(address - r.bases[i], data);
        return true;
    }

    /** The device holding {@code address}, or null. */
    public BusDevice deviceAt(long address) {
        Ranges r = ranges;
        int i = find(r, address);
        return i < 0 ? null : r.devices[i];
    }

    /** The bus name given at construction. */
    public String name() {
        return name;
    }

    /** Index of the range holding {@code address}, or -1; ranges are sorted and disjoint. */
    private static int find(Ranges r, long address) {
        long[] bases = r.bases;
        int lo = 0;
        int hi = bases.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(address, bases[mid]) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address - bases[mid], r.lengths[mid]) >= 0) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }
}
