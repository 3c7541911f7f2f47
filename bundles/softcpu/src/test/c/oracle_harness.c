/*
 * The instruction oracle's native harness: runs a batch of instruction cases on the host CPU, in user space.
 *
 *   oracle_harness features          prints the CPUID words the generator needs (one line, KEY=HEX pairs)
 *   oracle_harness run IN OUT        runs every case of batch file IN, writes the results to OUT
 *
 * A case is a few instruction bytes placed in an RWX code area at a fixed address, the 16 general-purpose
 * registers and RFLAGS, and byte patches over a data area at a fixed address (the stack lives there too). The
 * trampoline (oracle_trampoline.S) loads the registers and jumps to the bytes; each place the code may end at
 * holds a 6-byte stub jumping back into the trampoline, which stores the registers. A fault (#DE, #UD, #GP,
 * #SS, #PF, #AC, #BP) arrives as a signal on an alternate stack; the handler records the vector (the kernel's
 * trap number), error code, CR2 and the registers at the fault from the ucontext and siglongjmps back. A case that
 * still runs after two ticks of a 1 s interval timer is reported with vector 256 instead of hanging the batch. After
 * each case the data bytes that changed are reported and restored, so every case starts from the batch's base
 * image plus its own patches. Every case starts from an x87/SSE state given as a 512-byte FXSAVE image (the
 * default state unless the case brings one) and reports the state at its end or fault in the same format. The
 * Java side (org.jkvm.softcpu.oracle.NativeHarness) writes IN and reads OUT; the formats are documented there.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define BATCH_MAGIC 0x524F4B4Au  /* "JKOR" */
#define RESULT_MAGIC 0x53524B4Au /* "JKRS" */
#define FORMAT_VERSION 2u
#define FXSAVE_BYTES 512
#define MAX_ENDS 8
#define SLOT_BYTES 64            /* the pointer slots at the start of the code area, one per end stub */
#define STUB_BYTES 6
#define HLT 0xF4
#define TIMEOUT_VECTOR 256       /* reported when a case runs for seconds (a generator bug) */

extern uint64_t oracle_in_regs[16], oracle_in_flags, oracle_out_regs[16], oracle_out_flags, oracle_end_index;
extern uint64_t oracle_code_entry, oracle_save_table[MAX_ENDS];
extern uint8_t oracle_fpu_in[FXSAVE_BYTES], oracle_fpu_out[FXSAVE_BYTES];
extern void oracle_enter(void);

struct fault {
    int64_t vector;
    uint64_t err, cr2, rip, rflags, regs[16];
    uint8_t fpu[FXSAVE_BYTES];
};

static sigjmp_buf case_jump;
static volatile sig_atomic_t in_case;
static volatile uint32_t current_case;
static volatile uint32_t watched_case = UINT32_MAX;
static volatile int ticks;
static struct fault last_fault;

static void die(const char *what) {
    fprintf(stderr, "oracle_harness: %s\n", what);
    exit(2);
}

/* The ucontext's registers in instruction-encoding order (RAX RCX RDX RBX RSP RBP RSI RDI R8..R15). */
static const int GREG_OF[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void) info;
    /* The kernel delivers the signal with the case's AC flag (a POPF may have set it): clear it before this
       handler's own accesses can raise #AC. */
    __asm__ volatile("pushq $0x202\n\tpopfq" ::: "cc", "memory");
    if (sig == SIGALRM) {
        /* The watchdog tick: a case still running after two ticks (1-2 s) is a hang; report it as vector
           TIMEOUT_VECTOR instead of hanging the test. */
        if (!in_case || current_case != watched_case) {
            watched_case = current_case;
            ticks = 0;
            return;
        }
        if (++ticks < 2) {
            return;
        }
    }
    if (!in_case) {
        /* A fault in the harness itself (a case may have written into the harness's memory): say which case ran
           last, then die the ordinary way. */
        char msg[96];
        int len = snprintf(msg, sizeof msg, "oracle_harness: signal %d outside a case, after case %u\n", sig,
                           (unsigned) current_case);
        if (write(2, msg, len) < 0) {
            /* nothing more to do */
        }
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    greg_t *g = ((ucontext_t *) context)->uc_mcontext.gregs;
    last_fault.vector = sig == SIGALRM ? TIMEOUT_VECTOR : g[REG_TRAPNO];
    last_fault.err = g[REG_ERR];
    last_fault.cr2 = g[REG_CR2];
    last_fault.rip = g[REG_RIP];
    last_fault.rflags = g[REG_EFL];
    for (int i = 0; i < 16; i++) {
        last_fault.regs[i] = g[GREG_OF[i]];
    }
    /* The x87/SSE state at the fault: the FXSAVE part of the signal frame's XSAVE area. */
    memcpy(last_fault.fpu, ((ucontext_t *) context)->uc_mcontext.fpregs, FXSAVE_BYTES);
    in_case = 0;
    siglongjmp(case_jump, 1);
}

static void install_handlers(void) {
    static uint8_t alt_stack[1 << 16];
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        die("sigaltstack failed");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: the handler leaves by siglongjmp without restoring the mask, so keep the signal unblocked;
       SA_RESTART: the watchdog's ticks must not break the batch file's reads. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0) {
            die("sigaction failed");
        }
    }
    struct itimerval tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
    if (setitimer(ITIMER_REAL, &tick, NULL) != 0) {
        die("setitimer failed");
    }
}

static void print_features(void) {
    unsigned a, b, c, d, b7 = 0, c7 = 0, c81 = 0, d81 = 0;
    __cpuid(1, a, b, c, d);
    unsigned c1 = c, d1 = d;
    __cpuid(0, a, b, c, d);
    if (a >= 7) {
        __cpuid_count(7, 0, a, b7, c7, d);
    }
    __cpuid(0x80000000u, a, b, c, d);
    if (a >= 0x80000001u) {
        __cpuid(0x80000001u, a, b, c81, d81);
    }
    printf("1.ecx=%x 1.edx=%x 7.ebx=%x 7.ecx=%x 80000001.ecx=%x 80000001.edx=%x\n", c1, d1, b7, c7, c81, d81);
}

/* Reads exactly n bytes or dies. */
static void get(FILE *in, void *p, size_t n) {
    if (n != 0 && fread(p, 1, n, in) != n) {
        die("batch file truncated");
    }
}

static uint64_t get_u(FILE *in, int bytes) {
    uint64_t v = 0;
    uint8_t b[8];
    get(in, b, bytes);
    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    return v;
}

static void put_u(FILE *out, uint64_t v, int bytes) {
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) {
        b[i] = (uint8_t) (v >> (8 * i));
    }
    fwrite(b, 1, bytes, out);
}

static uint8_t *map_fixed(uint64_t va, uint64_t size, int prot) {
    void *p = mmap((void *) va, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *) va) {
        fprintf(stderr, "oracle_harness: cannot map %#lx bytes at %#lx\n", (unsigned long) size,
                (unsigned long) va);
        exit(2);
    }
    return p;
}

struct batch {
    uint32_t cases, data_size, code_size;
    uint64_t code_va, data_va, gs_base;
    uint8_t *code, *data, *base, *initial;
    uint8_t *code_clean, *code_exp; /* the code area between cases (HLT, slots) and as this case starts */
};

static void read_header(FILE *in, struct batch *b) {
    if (get_u(in, 4) != BATCH_MAGIC || get_u(in, 4) != FORMAT_VERSION) {
        die("not a batch file of format version 2");
    }
    b->cases = (uint32_t) get_u(in, 4);
    b->data_size = (uint32_t) get_u(in, 4);
    b->code_va = get_u(in, 8);
    b->code_size = (uint32_t) get_u(in, 4);
    get_u(in, 4);
    b->data_va = get_u(in, 8);
    b->gs_base = get_u(in, 8);
    b->code = map_fixed(b->code_va, b->code_size, PROT_READ | PROT_WRITE | PROT_EXEC);
    b->data = map_fixed(b->data_va, b->data_size, PROT_READ | PROT_WRITE);
    b->base = malloc(b->data_size);
    b->initial = malloc(b->data_size);
    if (b->base == NULL || b->initial == NULL) {
        die("out of memory");
    }
    get(in, b->base, b->data_size);
    memcpy(b->data, b->base, b->data_size);
    memcpy(b->initial, b->base, b->data_size);
    memset(b->code, HLT, b->code_size);
    for (int k = 0; k < MAX_ENDS; k++) {
        memcpy(b->code + 8 * k, &oracle_save_table[k], 8);
    }
    b->code_clean = malloc(b->code_size);
    b->code_exp = malloc(b->code_size);
    if (b->code_clean == NULL || b->code_exp == NULL) {
        die("out of memory");
    }
    memcpy(b->code_clean, b->code, b->code_size);
    memcpy(b->code_exp, b->code, b->code_size);
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, b->gs_base) != 0) {
        die("arch_prctl(ARCH_SET_GS) failed");
    }
}

/*
 * Appends the bytes of area[0, size) that differ from expected[] to offs/vals (offsets plus `bias`), then makes
 * area equal to restore[] in the chunks that differed.
 */
static uint32_t diff_area(uint8_t *area, const uint8_t *expected, const uint8_t *restore, uint32_t size,
                          uint32_t bias, uint16_t *offs, uint8_t *vals, uint32_t n) {
    for (uint32_t chunk = 0; chunk < size; chunk += 64) {
        uint32_t len = size - chunk < 64 ? size - chunk : 64;
        if (memcmp(area + chunk, expected + chunk, len) == 0) {
            continue;
        }
        for (uint32_t i = chunk; i < chunk + len; i++) {
            if (area[i] != expected[i]) {
                offs[n] = (uint16_t) (i + bias);
                vals[n++] = area[i];
            }
        }
        memcpy(area + chunk, restore + chunk, len);
    }
    return n;
}

/*
 * Writes the changes the case made: data-area bytes against its initial image (offsets from 0), and code-area
 * bytes against the code as the case started (offsets from data_size; a case must not write code outside its own
 * bytes, but if one does both CPUs report it). Then restores the base image and the clean code area.
 */
static void put_changes(FILE *out, struct batch *b, uint16_t *patch_off, uint8_t *patch_len, int patches) {
    static uint16_t offs[1 << 16];
    static uint8_t vals[1 << 16];
    uint32_t n = diff_area(b->data, b->initial, b->base, b->data_size, 0, offs, vals, 0);
    n = diff_area(b->code, b->code_exp, b->code_exp, b->code_size, b->data_size, offs, vals, n);
    for (int p = 0; p < patches; p++) {
        memcpy(b->data + patch_off[p], b->base + patch_off[p], patch_len[p]);
        memcpy(b->initial + patch_off[p], b->base + patch_off[p], patch_len[p]);
    }
    put_u(out, n, 4);
    for (uint32_t i = 0; i < n; i++) {
        put_u(out, offs[i], 2);
        put_u(out, vals[i], 1);
    }
}

static void sanitize_flags(void) {
    /* After a fault RFLAGS is whatever the kernel left; C code needs DF=0 and AC=0. */
    __asm__ volatile("pushq $0x202\n\tpopfq" ::: "cc", "memory");
}

/* One case as read from the batch file. */
struct one_case {
    int len, nends, patches, has_fpu;
    uint16_t off, ends[MAX_ENDS];
    uint8_t code[256];
};

static uint16_t patch_off[1 << 16];
static uint8_t patch_len[1 << 16];

/* Reads a case, applies its patches to the data area (and the initial image) and writes its code and end stubs. */
static void read_case(FILE *in, struct batch *b, struct one_case *c) {
    c->len = (int) get_u(in, 1);
    c->off = (uint16_t) get_u(in, 2);
    get(in, c->code, c->len);
    c->nends = (int) get_u(in, 1);
    if (c->nends > MAX_ENDS || c->off < SLOT_BYTES || c->off + c->len > (int) b->code_size) {
        die("bad case: code outside the code area or too many ends");
    }
    for (int k = 0; k < c->nends; k++) {
        c->ends[k] = (uint16_t) get_u(in, 2);
        if (c->ends[k] < SLOT_BYTES || (uint32_t) c->ends[k] + STUB_BYTES > b->code_size) {
            die("bad case: end outside the code area");
        }
    }
    for (int i = 0; i < 16; i++) {
        oracle_in_regs[i] = get_u(in, 8);
    }
    oracle_in_flags = get_u(in, 8);
    c->patches = (int) get_u(in, 2);
    for (int p = 0; p < c->patches; p++) {
        patch_off[p] = (uint16_t) get_u(in, 2);
        patch_len[p] = (uint8_t) get_u(in, 1);
        if (patch_off[p] + patch_len[p] > b->data_size) {
            die("bad case: patch outside the data area");
        }
        get(in, b->data + patch_off[p], patch_len[p]);
        memcpy(b->initial + patch_off[p], b->data + patch_off[p], patch_len[p]);
    }
    c->has_fpu = (int) get_u(in, 1);
    if (c->has_fpu) {
        get(in, oracle_fpu_in, FXSAVE_BYTES);
    } else {
        /* FNINIT's state and MXCSR's default: FCW 0x37F, everything else zero. */
        memset(oracle_fpu_in, 0, FXSAVE_BYTES);
        oracle_fpu_in[0] = 0x7F;
        oracle_fpu_in[1] = 0x03;
        oracle_fpu_in[24] = 0x80;
        oracle_fpu_in[25] = 0x1F;
    }
    for (int k = 0; k < c->nends; k++) {
        uint8_t *s = b->code + c->ends[k];
        int32_t disp = (int32_t) (8 * k - c->ends[k] - STUB_BYTES);
        s[0] = 0xFF;
        s[1] = 0x25;
        memcpy(s + 2, &disp, 4);
    }
    memcpy(b->code + c->off, c->code, c->len);
    for (int k = 0; k < c->nends; k++) {
        memcpy(b->code_exp + c->ends[k], b->code + c->ends[k], STUB_BYTES);
    }
    memcpy(b->code_exp + c->off, c->code, c->len);
}

static void run_one(FILE *in, FILE *out, struct batch *b) {
    struct one_case c;
    read_case(in, b, &c);
    oracle_code_entry = b->code_va + c.off;
    struct fault r;
    in_case = 1;
    if (sigsetjmp(case_jump, 0) == 0) {
        oracle_enter();
        in_case = 0;
        r.vector = -1;
        r.err = 0;
        r.cr2 = 0;
        r.rip = b->code_va + c.ends[oracle_end_index];
        r.rflags = oracle_out_flags;
        memcpy(r.regs, oracle_out_regs, sizeof r.regs);
        memcpy(r.fpu, oracle_fpu_out, FXSAVE_BYTES);
        put_u(out, (uint32_t) -1, 4);
        put_u(out, oracle_end_index, 4);
    } else {
        sanitize_flags();
        r = last_fault;
        put_u(out, (uint64_t) r.vector, 4);
        put_u(out, 0xFFFFFFFFu, 4);
    }
    put_u(out, r.err, 8);
    put_u(out, r.cr2, 8);
    put_u(out, r.rip, 8);
    put_u(out, r.rflags, 8);
    for (int i = 0; i < 16; i++) {
        put_u(out, r.regs[i], 8);
    }
    put_changes(out, b, patch_off, patch_len, c.patches);
    put_u(out, (uint64_t) c.has_fpu, 1);
    if (c.has_fpu) {
        fwrite(r.fpu, 1, FXSAVE_BYTES, out);
    }
    memcpy(b->code + c.off, b->code_clean + c.off, c.len);
    memcpy(b->code_exp + c.off, b->code_clean + c.off, c.len);
    for (int k = 0; k < c.nends; k++) {
        memcpy(b->code + c.ends[k], b->code_clean + c.ends[k], STUB_BYTES);
        memcpy(b->code_exp + c.ends[k], b->code_clean + c.ends[k], STUB_BYTES);
    }
}

static int run_batch(const char *in_path, const char *out_path) {
    FILE *in = fopen(in_path, "rb");
    FILE *out = fopen(out_path, "wb");
    if (in == NULL || out == NULL) {
        die("cannot open the batch or result file");
    }
    static char in_buf[1 << 20], out_buf[1 << 20];
    setvbuf(in, in_buf, _IOFBF, sizeof in_buf);
    setvbuf(out, out_buf, _IOFBF, sizeof out_buf);
    struct batch b;
    read_header(in, &b);
    install_handlers();
    put_u(out, RESULT_MAGIC, 4);
    put_u(out, FORMAT_VERSION, 4);
    put_u(out, b.cases, 4);
    for (uint32_t i = 0; i < b.cases; i++) {
        current_case = i;
        run_one(in, out, &b);
    }
    if (fclose(out) != 0) {
        die("cannot write the result file");
    }
    fclose(in);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "features") == 0) {
        print_features();
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        return run_batch(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: oracle_harness features | oracle_harness run BATCH RESULTS\n");
    return 2;
}
