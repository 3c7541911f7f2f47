/*
 * jkvm guest firmware: PCI configuration space through configuration mechanism #1 (ports 0xCF8/0xCFC, PCI
 * Local Bus 3.0 section 3.2.2.3.2), bus 0 only (the jkvm engine and QEMU's pc machine put every device there).
 *
 * The platform normally assigns the BARs (the jkvm engine when it attaches a device, SeaBIOS under QEMU);
 * pci_bar_mem places a memory BAR only if it was left at 0.
 */
#include "hw.h"
#include "virtio.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define CMD_MEMORY 0x2
#define CMD_MASTER 0x4
#define STATUS_CAPS 0x10
/* The PCI hole where an unassigned BAR may go: the engine's window, also inside QEMU pc's. */
#define HOLE_BASE 0xe0000000ULL
#define HOLE_END 0xfec00000ULL

static inline void outl(u16 port, u32 v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 inl(u16 port)
{
    u32 v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

u32 pci_read32(pci_bdf f, u32 off)
{
    outl(PCI_ADDR, 0x80000000U | f | (off & 0xfc));
    return inl(PCI_DATA);
}

u16 pci_read16(pci_bdf f, u32 off)
{
    return (u16)(pci_read32(f, off) >> ((off & 2) * 8));
}

u8 pci_read8(pci_bdf f, u32 off)
{
    return (u8)(pci_read32(f, off) >> ((off & 3) * 8));
}

void pci_write32(pci_bdf f, u32 off, u32 v)
{
    outl(PCI_ADDR, 0x80000000U | f | (off & 0xfc));
    outl(PCI_DATA, v);
}

/* Read-modify-write of the dword: some platforms decode only 32-bit data accesses. */
void pci_write16(pci_bdf f, u32 off, u16 v)
{
    u32 shift = (off & 2) * 8;
    u32 old = pci_read32(f, off);
    if (off == PCI_COMMAND) {
        old &= 0x0000ffffU;   /* the status half is write-one-to-clear: never write its bits back */
    }
    pci_write32(f, off, (old & ~(0xffffU << shift)) | ((u32)v << shift));
}

int pci_find(u16 vendor, u16 dev_a, u16 dev_b, u32 n, pci_bdf *out)
{
    for (u32 slot = 0; slot < 32; slot++) {
        for (u32 fn = 0; fn < 8; fn++) {
            pci_bdf f = slot << 11 | fn << 8;
            u32 id = pci_read32(f, 0);
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0) {
                    break;   /* no device in this slot */
                }
                continue;
            }
            u16 dev = (u16)(id >> 16);
            if ((id & 0xffff) == vendor && (dev == dev_a || dev == dev_b) && n-- == 0) {
                *out = f;
                return 1;
            }
            if (fn == 0 && !(pci_read8(f, PCI_HEADER_TYPE) & 0x80)) {
                break;   /* single-function device */
            }
        }
    }
    return 0;
}

u8 pci_cap_find(pci_bdf f, u8 id, u8 from)
{
    if (!(pci_read16(f, PCI_STATUS) & STATUS_CAPS)) {
        return 0;
    }
    u8 at = from == 0 ? pci_read8(f, PCI_CAP_PTR) : pci_read8(f, from + 1u);
    /* At most 48 entries fit in the 192 bytes after the header: bounds a looping list. */
    for (u32 guard = 0; at >= 0x40 && guard < 48; guard++) {
        at &= 0xfc;
        if (pci_read8(f, at) == id) {
            return at;
        }
        at = pci_read8(f, at + 1u);
    }
    return 0;
}

/* The end of the highest memory BAR below 4 GiB on bus 0, at least HOLE_BASE. */
static u64 hole_next(void)
{
    u64 next = HOLE_BASE;
    for (u32 slot = 0; slot < 32; slot++) {
        for (u32 fn = 0; fn < 8; fn++) {
            pci_bdf f = slot << 11 | fn << 8;
            if ((pci_read32(f, 0) & 0xffff) == 0xffff || (pci_read8(f, PCI_HEADER_TYPE) & 0x7f) != 0) {
                if (fn == 0) {
                    break;
                }
                continue;
            }
            for (u32 b = 0; b < 6; b++) {
                u32 v = pci_read32(f, PCI_BAR0 + 4 * b);
                u32 base = v & ~0xfU;
                if (!(v & 1) && base >= HOLE_BASE && base < HOLE_END) {
                    /* Sizing would disturb a live BAR; a 1 MiB step is more than any virtio BAR needs. */
                    u64 end = ((u64)base + MIB) & ~(MIB - 1);
                    next = end > next ? end : next;
                }
                if ((v & 7) == 4) {
                    b++;   /* the upper half of a 64-bit BAR */
                }
            }
            if (fn == 0 && !(pci_read8(f, PCI_HEADER_TYPE) & 0x80)) {
                break;
            }
        }
    }
    return next;
}

static u64 hole_cursor;

/* Sizes a memory BAR that reads 0 and places it naturally aligned in the hole; 0 if it does not fit. */
static u64 bar_assign(pci_bdf f, u32 off, int is64)
{
    pci_write32(f, off, 0xffffffffU);
    u32 mask = pci_read32(f, off) & ~0xfU;
    pci_write32(f, off, 0);
    if (mask == 0) {
        return 0;
    }
    u64 size = (u64)(~mask) + 1;
    if (hole_cursor == 0) {
        hole_cursor = hole_next();
    }
    u64 base = (hole_cursor + size - 1) & ~(size - 1);
    if (base + size > HOLE_END) {
        return 0;
    }
    hole_cursor = base + size;
    pci_write32(f, off, (u32)base);
    if (is64) {
        pci_write32(f, off + 4, 0);
    }
    return base;
}

u64 pci_bar_mem(pci_bdf f, u32 bar)
{
    if (bar > 5) {
        return 0;
    }
    u32 off = PCI_BAR0 + 4 * bar;
    u32 lo = pci_read32(f, off);
    if (lo & 1) {
        return 0;   /* an I/O BAR */
    }
    int is64 = (lo & 6) == 4;
    u64 base = lo & ~0xfULL;
    if (is64 && bar < 5) {
        base |= (u64)pci_read32(f, off + 4) << 32;
    }
    if (base == 0) {
        base = bar_assign(f, off, is64);
    }
    if (base != 0) {
        pci_write16(f, PCI_COMMAND, (u16)(pci_read16(f, PCI_COMMAND) | CMD_MEMORY | CMD_MASTER));
    }
    return base;
}
