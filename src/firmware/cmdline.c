/*
 * jkvm guest firmware: the command line (docs/contracts.md section 3).
 *
 * Space-separated key=value words. A word without '=' is skipped: multiboot loaders (QEMU, GRUB) put the
 * image path first. An unknown key or a malformed value stops the firmware with a fw-error line naming it.
 */
#include "fw.h"

#define MAX_RATE 100000000ULL
#define MAX_MIB (1ULL << 20)
#define MAX_MS (1ULL << 32)

static int word_is(const char *w, u32 len, const char *lit)
{
    u32 i = 0;
    for (; i < len && lit[i]; i++) {
        if (w[i] != lit[i]) {
            return 0;
        }
    }
    return i == len && lit[i] == 0;
}

static void put_word(const char *w, u32 len)
{
    for (u32 i = 0; i < len; i++) {
        put_char(w[i]);
    }
}

/* A decimal number in [min, max], else fw-error naming the key. */
static u64 parse_number(const char *key, u32 klen, const char *v, u32 vlen, u64 min, u64 max)
{
    u64 n = 0;
    u32 i = 0;
    for (; i < vlen && v[i] >= '0' && v[i] <= '9' && n <= max; i++) {
        n = n * 10 + (u64)(v[i] - '0');
    }
    if (vlen == 0 || i != vlen || n < min || n > max) {
        fw_error_begin();
        put_str("bad command line value ");
        put_word(key, klen);
        put_char('=');
        put_word(v, vlen);
        put_str(": expected a decimal number from ");
        put_dec(min);
        put_str(" to ");
        put_dec(max);
        fw_error_end();
    }
    return n;
}

static enum workload parse_workload(const char *v, u32 vlen)
{
    if (word_is(v, vlen, "idle")) {
        return WL_IDLE;
    }
    if (word_is(v, vlen, "dirty")) {
        return WL_DIRTY;
    }
    if (word_is(v, vlen, "verify")) {
        return WL_VERIFY;
    }
    if (word_is(v, vlen, "compute")) {
        return WL_COMPUTE;
    }
    if (word_is(v, vlen, "disk")) {
        return WL_DISK;
    }
    if (word_is(v, vlen, "diskbench")) {
        return WL_DISKBENCH;
    }
    fw_error_begin();
    put_str("unknown workload=");
    put_word(v, vlen);
    put_str(": use idle, dirty, verify, compute, disk or diskbench");
    fw_error_end();
}

static enum inject parse_inject(const char *v, u32 vlen)
{
    if (word_is(v, vlen, "page")) {
        return INJECT_PAGE;
    }
    if (word_is(v, vlen, "tsc")) {
        return INJECT_TSC;
    }
    if (word_is(v, vlen, "disk")) {
        return INJECT_DISK;
    }
    if (word_is(v, vlen, "none")) {
        return INJECT_NONE;
    }
    fw_error_begin();
    put_str("unknown inject=");
    put_word(v, vlen);
    put_str(": use none, page, tsc or disk");
    fw_error_end();
}

static enum disk_op parse_op(const char *v, u32 vlen)
{
    static const char *const names[] = {"randread", "randwrite", "seqread", "seqwrite"};
    for (u32 i = 0; i < 4; i++) {
        if (word_is(v, vlen, names[i])) {
            return (enum disk_op)i;
        }
    }
    fw_error_begin();
    put_str("unknown op=");
    put_word(v, vlen);
    put_str(": use randread, randwrite, seqread or seqwrite");
    fw_error_end();
}

/* ip=A.B.C.D/PREFIX: four decimal bytes and a prefix length 1 .. 32, else fw-error. */
static void parse_ip(const char *v, u32 vlen, struct config *cfg)
{
    u32 ip = 0, part = 0, digits = 0, dots = 0, i = 0, ok = 1;
    for (; i < vlen && v[i] != '/'; i++) {
        if (v[i] == '.' && digits > 0 && dots < 3) {
            ip = ip << 8 | part;
            part = digits = 0;
            dots++;
        } else if (v[i] >= '0' && v[i] <= '9' && digits < 3) {
            part = part * 10 + (u32)(v[i] - '0');
            digits++;
            ok &= part <= 255;
        } else {
            ok = 0;
        }
    }
    ip = ip << 8 | part;
    u32 prefix = 0, pdigits = 0;
    for (i++; i < vlen && v[i] >= '0' && v[i] <= '9' && pdigits < 2; i++, pdigits++) {
        prefix = prefix * 10 + (u32)(v[i] - '0');
    }
    if (!ok || dots != 3 || digits == 0 || i != vlen || pdigits == 0 || prefix < 1 || prefix > 32 || ip == 0) {
        fw_error_begin();
        put_str("bad command line value ip=");
        put_word(v, vlen);
        put_str(": expected an IPv4 address and prefix length such as ip=10.0.2.15/24");
        fw_error_end();
    }
    cfg->ip = ip;
    cfg->ip_prefix = prefix;
}

static void apply(struct config *cfg, const char *k, u32 klen, const char *v, u32 vlen)
{
    if (word_is(k, klen, "workload")) {
        cfg->workload = parse_workload(v, vlen);
    } else if (word_is(k, klen, "mib")) {
        cfg->mib = parse_number(k, klen, v, vlen, 1, MAX_MIB);
    } else if (word_is(k, klen, "rate")) {
        cfg->rate = parse_number(k, klen, v, vlen, 0, MAX_RATE);
    } else if (word_is(k, klen, "tsc_khz")) {
        cfg->tsc_khz = parse_number(k, klen, v, vlen, 1000, 100000000);
    } else if (word_is(k, klen, "hb_ms")) {
        cfg->hb_ms = parse_number(k, klen, v, vlen, 1, MAX_MS);
    } else if (word_is(k, klen, "exit_after")) {
        cfg->exit_after = parse_number(k, klen, v, vlen, 0, MAX_MS);
    } else if (word_is(k, klen, "inject")) {
        cfg->inject = parse_inject(v, vlen);
    } else if (word_is(k, klen, "op")) {
        cfg->op = parse_op(v, vlen);
    } else if (word_is(k, klen, "bs")) {
        cfg->bs = parse_number(k, klen, v, vlen, 512, 65536);
        if (cfg->bs % 512 != 0) {
            fw_fail("bad command line value bs: it must be a multiple of 512 from 512 to 65536");
        }
    } else if (word_is(k, klen, "count")) {
        cfg->count = parse_number(k, klen, v, vlen, 1, MAX_MS);
    } else if (word_is(k, klen, "ip")) {
        parse_ip(v, vlen, cfg);
    } else if (word_is(k, klen, "net_flood")) {
        cfg->net_flood = (u32)parse_number(k, klen, v, vlen, 0, 256);
    } else {
        fw_error_begin();
        put_str("unknown command line key ");
        put_word(k, klen);
        put_str(": use workload, mib, rate, tsc_khz, hb_ms, exit_after, inject, op, bs, count, ip or net_flood");
        fw_error_end();
    }
}

void cmdline_parse(const char *s, struct config *cfg)
{
    cfg->workload = WL_IDLE;
    cfg->mib = 16;
    cfg->rate = 1000;
    cfg->tsc_khz = 0;
    cfg->hb_ms = 1000;
    cfg->exit_after = 0;
    cfg->inject = INJECT_NONE;
    cfg->ip = 0;
    cfg->ip_prefix = 0;
    cfg->net_flood = 0;
    cfg->op = OP_RANDREAD;
    cfg->bs = 4096;
    cfg->count = 1024;
    /* The contract caps the command line at 2047 bytes; never read further. */
    for (u32 pos = 0; pos < 2048 && s[pos];) {
        while (pos < 2048 && s[pos] == ' ') {
            pos++;
        }
        u32 start = pos;
        u32 eq = 0;
        while (pos < 2048 && s[pos] && s[pos] != ' ') {
            if (s[pos] == '=' && eq == 0) {
                eq = pos;
            }
            pos++;
        }
        if (eq != 0 && eq > start) {
            apply(cfg, s + start, eq - start, s + eq + 1, pos - eq - 1);
        }
    }
}

const char *workload_name(enum workload w)
{
    switch (w) {
    case WL_DIRTY:
        return "dirty";
    case WL_VERIFY:
        return "verify";
    case WL_COMPUTE:
        return "compute";
    case WL_DISK:
        return "disk";
    case WL_DISKBENCH:
        return "diskbench";
    default:
        return "idle";
    }
}
