package org.jkvm.devices.serial;

/** The 16550's register offsets and bits (National Semiconductor PC16550D data sheet), for {@link Serial16550}. */
interface UartRegisters {
    int DATA = 0;
    int IER = 1;
    int IIR_FCR = 2;
    int LCR = 3;
    int MCR = 4;
    int LSR = 5;
    int MSR = 6;
    int SCR = 7;

    int IER_RDA = 0x01;
    int IER_THRE = 0x02;
    int IER_RLS = 0x04;
    int IER_MS = 0x08;
    int IIR_NONE = 0x01;
    int IIR_MS = 0x00;
    int IIR_THRE = 0x02;
    int IIR_RDA = 0x04;
    int IIR_RLS = 0x06;
    int IIR_TIMEOUT = 0x0c;
    int IIR_FIFO = 0xc0;
    int LCR_DLAB = 0x80;
    int MCR_DTR = 0x01;
    int MCR_RTS = 0x02;
    int MCR_OUT1 = 0x04;
    int MCR_OUT2 = 0x08;
    int MCR_LOOP = 0x10;
    int LSR_DR = 0x01;
    int LSR_OE = 0x02;
    int LSR_THRE = 0x20;
    int LSR_TEMT = 0x40;
    int MSR_CTS = 0x10;
    int MSR_DSR = 0x20;
    int MSR_RI = 0x40;
    int MSR_DCD = 0x80;
    /** Without loopback the modem lines read as connected: CTS, DSR and DCD. */
    int MSR_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;
}
