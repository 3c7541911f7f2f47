/*
 * jkvm-verify: the firmware's network hooks (net.h) in a Linux user-space program, which has no NIC of its own:
 * the guest's kernel and busybox's ip/ping are its network. net_enabled stays 0, so the shared loops never call
 * the others; they exist only so the firmware's disk.c and workload.c link unchanged.
 */
#include "fw.h"
#include "net.h"

int net_enabled;

void net_open(const struct config *cfg)
{
    (void)cfg;
}

void net_poll(void)
{
}

void net_slow_poll(void)
{
}

void net_put_heartbeat(void)
{
}
