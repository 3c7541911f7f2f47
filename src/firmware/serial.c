/*
 * jkvm guest firmware: output on the 16550A UART at COM1 (0x3f8), polled, never interrupt driven.
 *
 * Lines end with a single '\n'. Each byte waits for LSR.THRE (bit 5) first, as docs/contracts.md section 2
 * asks; a UART that never reports THRE is given a bounded number of polls, then the byte is sent anyway so
 * a broken device cannot hang the guest.
 */
#include "hw.h"

#define UART_DATA 0      /* THR on write, DLL when LCR.DLAB */
#define UART_IER 1       /* DLM when LCR.DLAB */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define THRE_POLLS 100000

void serial_init(void)
{
    outb(PORT_COM1 + UART_IER, 0x00);      /* no interrupts: the firmware polls */
    outb(PORT_COM1 + UART_LCR, LCR_DLAB);
    outb(PORT_COM1 + UART_DATA, 0x01);     /* divisor 1: 115200 baud */
    outb(PORT_COM1 + UART_IER, 0x00);
    outb(PORT_COM1 + UART_LCR, LCR_8N1);
    outb(PORT_COM1 + UART_FCR, 0x07);      /* FIFO on, both FIFOs cleared */
    outb(PORT_COM1 + UART_MCR, 0x03);      /* DTR and RTS; OUT2 stays off (no IRQ) */
}

void put_char(char c)
{
    for (u32 i = 0; i < THRE_POLLS; i++) {
        if (inb(PORT_COM1 + UART_LSR) & LSR_THRE) {
            break;
        }
    }
    outb(PORT_COM1 + UART_DATA, (u8)c);
}

void *memset(void *d, int c, unsigned long n)
{
    u8 *p = d;
    while (n--) {
        *p++ = (u8)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}
