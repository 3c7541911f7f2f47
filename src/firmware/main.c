/*
 * jkvm guest firmware: the 64-bit C entry, the first line, and the ways out (debug exit, fw-error).
 *
 * Both boot paths (boot.S: the multiboot 32-bit entry and the engine's entry64) arrive here in long mode
 * with a stack, a cleared .bss, RDI = multiboot magic and RSI = the multiboot information.
 */
#include "hw.h"
#include "net.h"

#define PORT_POST 0x80

void debug_exit(u8 status)
{
    outb(PORT_DEBUG_EXIT, status);
    /* No debug-exit device: stop here for good (interrupts stay off, so HLT does not return). */
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

void fw_error_begin(void)
{
    put_str("fw-error ");
}

void fw_error_end(void)
{
    put_char('\n');
    debug_exit(2);
}

void fw_fail(const char *msg)
{
    fw_error_begin();
    put_str(msg);
    fw_error_end();
}

static void put_vendor(void)
{
    u32 a, regs[3];
    cpuid(0, 0, &a, &regs[0], &regs[2], &regs[1]);   /* vendor string order: EBX, EDX, ECX */
    const char *s = (const char *)regs;
    for (int i = 0; i < 12 && s[i]; i++) {
        /* Keep the line one parseable word even for an odd vendor string. */
        put_char(s[i] > ' ' && s[i] < 127 ? s[i] : '_');
    }
}

/* docs/contracts.md section 3: the first line. */
static void first_line(const struct config *cfg, const struct memory *mem, u64 tsc_khz)
{
    u32 a, b, c1, d1, c81 = 0, d81 = 0;
    cpuid(1, 0, &a, &b, &c1, &d1);
    cpuid(0x80000000U, 0, &a, &b, &c81, &d81);
    if (a >= 0x80000001U && a <= 0x8000ffffU) {
        cpuid(0x80000001U, 0, &a, &b, &c81, &d81);
    } else {
        c81 = 0;
        d81 = 0;
    }
    put_str("jkvm-fw " FW_VERSION " vendor=");
    put_vendor();
    put_str(" cpuid1.ecx=");
    put_hex32(c1);
    put_str(" cpuid1.edx=");
    put_hex32(d1);
    put_str(" cpuid81.ecx=");
    put_hex32(c81);
    put_str(" cpuid81.edx=");
    put_hex32(d81);
    put_kv("nx", (d81 >> 20) & 1);
    put_kv("lm", (d81 >> 29) & 1);
    put_kv("tsc_khz", tsc_khz);
    put_kv("ram_mib", mem->ram_mib);
    put_str(" workload=");
    put_str(workload_name(cfg->workload));
    put_kv("mib", cfg->mib);
    put_kv("rate", cfg->rate);
#ifndef __x86_64__
    put_str(" bits=32");   /* jkvm-fw32: entered through multiboot, runs in 32-bit protected mode */
#endif
    put_char('\n');
}

void fw_main(u64 magic, u64 mbi) __attribute__((noreturn));

void fw_main(u64 magic, u64 mbi)
{
    struct config cfg;
    struct memory mem;
    serial_init();
    outb(PORT_POST, 0x01);
    if (magic != MULTIBOOT_LOADER_MAGIC) {
        fw_error_begin();
        put_str("not started by a multiboot loader: magic ");
        put_hex32((u32)magic);
        put_str(" instead of 0x2badb002; boot with qemu -kernel or the jkvm engine");
        fw_error_end();
    }
    if (mbi == 0 || mbi >= GIB) {
        fw_fail("the multiboot information pointer is outside the first GiB; the loader is broken");
    }
    cmdline_parse(mbi_cmdline((u32)mbi), &cfg);
    memory_read((u32)mbi, &mem);
    u64 khz = tsc_khz_detect(cfg.tsc_khz);
    first_line(&cfg, &mem, khz);
    outb(PORT_POST, 0x02);
    if (cfg.ip != 0) {
        net_open(&cfg);
    }
    workload_setup(&cfg, &mem);
    outb(PORT_POST, 0x03);
    workload_run(&cfg, khz);
}
