/*
 * jkvm guest firmware: shared declarations.
 *
 * The firmware is a freestanding x86-64 program. It never enables interrupts and never executes IRET
 * (see docs/contracts.md section 1); everything is polled. Interfaces to the host: docs/contracts.md 1-3.
 */
#ifndef JKVM_FW_H
#define JKVM_FW_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;   /* an address: 64 bits in the long-mode build, 32 in jkvm-fw32 */

#define FW_VERSION "1.0"
#define PAGE_SIZE 4096ULL
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
/* The working area of the dirty and verify workloads starts here, well above the image and its tables. */
#define AREA_START (16 * MIB)

/* Multiboot v1 (the magic both boot paths put in EAX/RDI). */
#define MULTIBOOT_LOADER_MAGIC 0x2BADB002U

/* Ports, docs/contracts.md section 2. */
#define PORT_COM1 0x3f8
#define PORT_DEBUG_EXIT 0xf4
#define PORT_POWER 0xf5
#define POWER_SHUTDOWN_REQUESTED 0xa5

enum workload { WL_IDLE, WL_DIRTY, WL_VERIFY, WL_COMPUTE, WL_DISK, WL_DISKBENCH };
enum inject { INJECT_NONE, INJECT_PAGE, INJECT_TSC, INJECT_DISK };
/* workload=diskbench: the request pattern. */
enum disk_op { OP_RANDREAD, OP_RANDWRITE, OP_SEQREAD, OP_SEQWRITE };

/* The command line, parsed (docs/contracts.md section 3). */
struct config {
    enum workload workload;
    u64 mib;        /* working set in MiB */
    u64 rate;       /* pages per second, 0 = as fast as possible */
    u64 tsc_khz;    /* 0 = not given */
    u64 hb_ms;      /* heartbeat period in guest ms */
    u64 exit_after; /* heartbeats before the debug exit, 0 = never */
    enum inject inject; /* self-test: one deliberate error after the first heartbeat */
    enum disk_op op;    /* diskbench: request pattern */
    u64 bs;             /* diskbench: bytes per request, a multiple of 512 */
    u64 count;          /* diskbench: requests */
    u32 ip;         /* ip=A.B.C.D/PREFIX: our IPv4 address (host order), 0 = no network */
    u32 ip_prefix;  /* its prefix length, 1 .. 32 */
    u32 net_flood;  /* net_flood=N: broadcast UDP frames sent per network poll, 0 = none (a transmit flood) */
};

/* One run of usable RAM at or above AREA_START, page aligned. */
struct range {
    u64 base;
    u64 pages;
};

#define MAX_RANGES 8

/* What the multiboot information says about memory. */
struct memory {
    u64 ram_mib;                    /* all usable RAM, rounded up to MiB */
    u32 nranges;
    struct range ranges[MAX_RANGES];/* usable RAM at or above AREA_START, ascending */
};

/* serial.c: the 16550 at COM1, polled. */
void serial_init(void);
void put_char(char c);
void put_str(const char *s);
void put_dec(u64 v);
void put_hex32(u32 v);
void put_kv(const char *key, u64 v);

/* main.c: leaving the guest. */
void debug_exit(u8 status) __attribute__((noreturn));
void fw_error_begin(void);
void fw_error_end(void) __attribute__((noreturn));
void fw_fail(const char *msg) __attribute__((noreturn));

/* cmdline.c */
void cmdline_parse(const char *s, struct config *cfg);
const char *workload_name(enum workload w);

/* memory.c */
void memory_read(u32 mbi_gpa, struct memory *mem);
const char *mbi_cmdline(u32 mbi_gpa);
void map_identity(u64 end);

/* tsc.c */
u64 tsc_khz_detect(u64 from_cmdline);
int hypervisor_is_kvm(void);

/* workload.c */
void workload_setup(const struct config *cfg, const struct memory *mem);
void workload_run(const struct config *cfg, u64 tsc_khz) __attribute__((noreturn));

/* disk.c: workload=disk and workload=diskbench on the first virtio disk. */
void disk_run(const struct config *cfg, u64 tsc_khz) __attribute__((noreturn));

/* Freestanding helpers gcc may call. */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif
