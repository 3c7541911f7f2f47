package org.jkvm.devices.rtc;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The MC146818's calendar registers as numbers: BCD or binary (register B bit 2, DM), 12- or 24-hour (bit 1; in
 * 12-hour mode bit 7 of the hour is PM), the day of the week 1-7 with Sunday 1, the year 0-99 with the century in
 * CMOS byte 0x32 (the IBM PC's and the ACPI FADT's century register). Time is counted in seconds since 1970-01-01
 * 00:00 of the RTC's own time (the RTC has no time zone). Stateless.
 */
final class RtcCalendar {
    static final int SECONDS = 0x00;
    static final int SECONDS_ALARM = 0x01;
    static final int MINUTES = 0x02;
    static final int MINUTES_ALARM = 0x03;
    static final int HOURS = 0x04;
    static final int HOURS_ALARM = 0x05;
    static final int WEEKDAY = 0x06;
    static final int DAY = 0x07;
    static final int MONTH = 0x08;
    static final int YEAR = 0x09;
    static final int CENTURY = 0x32;
    /** Register B: binary (not BCD) data mode. */
    static final int B_BINARY = 0x04;
    /** Register B: 24-hour mode. */
    static final int B_24H = 0x02;
    private static final int DAY_SECONDS = 86400;

    private RtcCalendar() {
    }

    /** {@code v} (0-99) in the data mode of register {@code b}. */
    static int encode(int v, int b) {
        return (b & B_BINARY) != 0 ? v : (v / 10) << 4 | v % 10;
    }

    /** A register in the data mode of {@code b} as a number (BCD digits above 9 read as they add up). */
    static int decode(int reg, int b) {
        return (b & B_BINARY) != 0 ? reg & 0xff : (reg >> 4 & 0x0f) * 10 + (reg & 0x0f);
    }

    /** Hour 0-23 in the format of {@code b}. */
    static int encodeHour(int hour, int b) {
        if ((b & B_24H) != 0) {
            return encode(hour, b);
        }
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return encode(h12, b) | (hour >= 12 ? 0x80 : 0);
    }

    /** An hour register in the format of {@code b} as 0-23. */
    static int decodeHour(int reg, int b) {
        if ((b & B_24H) != 0) {
            return decode(reg, b);
        }
        int h12 = decode(reg & 0x7f, b) % 12;
        return (reg & 0x80) != 0 ? h12 + 12 : h12;
    }

    /** Day of the week, 1 (Sunday) to 7, of {@code seconds}. */
    static int weekday(long seconds) {
        // 1970-01-01 was a Thursday (5).
        return (int) Math.floorMod(Math.floorDiv(seconds, DAY_SECONDS) + 4, 7) + 1;
    }

    /** Writes the time of {@code seconds} into registers 0, 2, 4, 7, 8, 9 and the century of {@code cmos}. */
    static void write(long seconds, byte[] cmos, int b) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        cmos[SECONDS] = (byte) encode(t.getSecond(), b);
        cmos[MINUTES] = (byte) encode(t.getMinute(), b);
        cmos[HOURS] = (byte) encodeHour(t.getHour(), b);
        cmos[DAY] = (byte) encode(t.getDayOfMonth(), b);
        cmos[MONTH] = (byte) encode(t.getMonthValue(), b);
        cmos[YEAR] = (byte) encode(Math.floorMod(t.getYear(), 100), b);
        cmos[CENTURY] = (byte) encode(Math.floorDiv(t.getYear(), 100) % 100, b);
    }

    /**
     * The time the registers of {@code cmos} hold, each field clamped into its range (a guest may write anything;
     * the RTC then counts on from the nearest valid time).
     */
    static long read(byte[] cmos, int b) {
        int year = clamp(decode(cmos[CENTURY], b), 0, 99) * 100 + clamp(decode(cmos[YEAR], b), 0, 99);
        int month = clamp(decode(cmos[MONTH], b), 1, 12);
        int day = clamp(decode(cmos[DAY], b), 1, LocalDate.of(year, month, 1).lengthOfMonth());
        LocalDateTime t = LocalDateTime.of(year, month, day, clamp(decodeHour(cmos[HOURS], b), 0, 23),
                clamp(decode(cmos[MINUTES], b), 0, 59), clamp(decode(cmos[SECONDS], b), 0, 59));
        return t.toEpochSecond(ZoneOffset.UTC);
    }

    /** Whether an alarm register is "don't care" (its two top bits set). */
    static boolean dontCare(int reg) {
        return (reg & 0xc0) == 0xc0;
    }

    /**
     * The first second at or after {@code from} whose hour, minute and second match the alarm registers of
     * {@code cmos} (don't-care fields match anything); within two days, else {@link Long#MAX_VALUE} (an alarm that
     * can never match, e.g. minute 75).
     */
    static long nextAlarm(long from, byte[] cmos, int b) {
        int ah = cmos[HOURS_ALARM] & 0xff;
        int am = cmos[MINUTES_ALARM] & 0xff;
        int as = cmos[SECONDS_ALARM] & 0xff;
        int hour = dontCare(ah) ? -1 : decodeHour(ah, b);
        int minute = dontCare(am) ? -1 : decode(am, b);
        int second = dontCare(as) ? -1 : decode(as, b);
        long day0 = Math.floorDiv(from, DAY_SECONDS) * DAY_SECONDS;
        for (long day = day0; day <= day0 + DAY_SECONDS; day += DAY_SECONDS) {
            for (int h = 0; h < 24; h++) {
                if (hour >= 0 && h != hour || day + h * 3600L + 3599 < from) {
                    continue;
                }
                for (int m = 0; m < 60; m++) {
                    long minuteStart = day + h * 3600L + m * 60L;
                    if (minute >= 0 && m != minute || minuteStart + 59 < from) {
                        continue;
                    }
                    long s = second < 0 ? Math.max(from, minuteStart) : minuteStart + second;
                    if (second < 60 && s >= from) {
                        return s;
                    }
                }
            }
        }
        return Long.MAX_VALUE;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
