/* Multiboot v1 probe kernel: prints what the loader handed over on COM1, then writes 0 to port 0xf4. */
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

u32 entry_regs[24];

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc_(char c)
{
    for (int i = 0; i < 100000 && !(inb(0x3f8 + 5) & 0x20); i++) {
    }
    outb(0x3f8, (u8)c);
}

static void puts_(const char *s) { while (*s) putc_(*s++); }

static void hex(u32 v, int digits)
{
    for (int s = (digits - 1) * 4; s >= 0; s -= 4) putc_("0123456789abcdef"[(v >> s) & 15]);
}

static void kv(const char *k, u32 v) { putc_(' '); puts_(k); putc_('='); hex(v, 8); }

/* Prints a guest string, bounded, with bytes outside printable ASCII as \xNN. */
static void str(const char *k, u32 addr)
{
    putc_(' '); puts_(k); puts_("=\"");
    const char *s = (const char *)addr;
    for (int i = 0; addr != 0 && i < 512 && s[i]; i++) {
        u8 c = (u8)s[i];
        if (c < 32 || c > 126 || c == '"' || c == '\\') { puts_("\\x"); hex(c, 2); } else putc_((char)c);
    }
    putc_('"');
}

static u32 sum(u32 start, u32 end)
{
    u32 h = 2166136261u;
    for (const u8 *p = (const u8 *)start; p < (const u8 *)end; p++) h = (h ^ *p) * 16777619u;
    return h;
}

void probe_main(void)
{
    const u32 *r = entry_regs;
    puts_("regs");
    kv("eax", r[0]); kv("ebx", r[1]); kv("ecx", r[16]); kv("edx", r[17]); kv("esi", r[18]); kv("edi", r[19]);
    kv("ebp", r[20]); kv("esp", r[2]);
    kv("cs", r[3] & 0xffff); kv("ds", r[4] & 0xffff); kv("es", r[5] & 0xffff); kv("fs", r[6] & 0xffff);
    kv("gs", r[7] & 0xffff); kv("ss", r[8] & 0xffff); kv("cr0", r[9]); kv("cr4", r[10]); kv("eflags", r[11]);
    kv("gdt.limit", r[12] & 0xffff); kv("gdt.base", (r[12] >> 16) | (r[13] << 16));
    kv("idt.limit", r[14] & 0xffff); kv("idt.base", (r[14] >> 16) | (r[15] << 16));
    putc_('\n');
    const u32 *mbi = (const u32 *)r[1];
    puts_("mbi");
    static const char *const names[] = {"flags", "mem_lower", "mem_upper", "boot_device", "cmdline", "mods_count",
        "mods_addr", "syms0", "syms1", "syms2", "syms3", "mmap_length", "mmap_addr", "drives_length",
        "drives_addr", "config_table", "boot_loader_name", "apm_table"};
    for (int i = 0; i < 18; i++) kv(names[i], mbi[i]);
    putc_('\n');
    puts_("strings");
    if (mbi[0] & (1u << 2)) str("cmdline", mbi[4]);
    if (mbi[0] & (1u << 9)) str("loader", mbi[16]);
    putc_('\n');
    if (mbi[0] & (1u << 6)) {
        for (u32 at = mbi[12]; at + 24 <= mbi[12] + mbi[11];) {
            const u32 *e = (const u32 *)at;
            puts_("mmap"); kv("at", at); kv("size", e[0]); kv("base_hi", e[2]); kv("base", e[1]);
            kv("len_hi", e[4]); kv("len", e[3]); kv("type", e[5]); putc_('\n');
            at += e[0] + 4;
        }
    }
    if (mbi[0] & (1u << 3)) {
        const u32 *m = (const u32 *)mbi[6];
        for (u32 i = 0; i < mbi[5]; i++, m += 4) {
            puts_("mod"); kv("i", i); kv("start", m[0]); kv("end", m[1]); kv("reserved", m[3]);
            kv("fnv", sum(m[0], m[1])); str("string", m[2]); putc_('\n');
        }
    }
    puts_("end\n");
    outb(0xf4, 0);
    for (;;) __asm__ volatile("cli; hlt");
}
