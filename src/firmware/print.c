/*
 * jkvm guest firmware: number and text formatting over put_char, shared by the firmware (serial.c's polled UART)
 * and jkvm-verify, its Linux build (src/linux/verify/main.c's line-buffered stdout).
 */
#include "fw.h"

void put_str(const char *s)
{
    while (*s) {
        put_char(*s++);
    }
}

void put_dec(u64 v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        put_char(buf[--n]);
    }
}

void put_hex32(u32 v)
{
    static const char digits[] = "0123456789abcdef";
    put_str("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        put_char(digits[(v >> shift) & 0xf]);
    }
}

/* Prints " key=v". */
void put_kv(const char *key, u64 v)
{
    put_char(' ');
    put_str(key);
    put_char('=');
    put_dec(v);
}
