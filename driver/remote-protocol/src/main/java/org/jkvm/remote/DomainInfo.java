package org.jkvm.remote;

/**
 * {@code remote_domain_get_info_ret} (virDomainInfo), the answer to DOMAIN_GET_INFO.
 *
 * @param state     a {@link DomainState} state code
 * @param maxMemKiB the memory ceiling in KiB
 * @param memoryKiB memory in use in KiB
 * @param vcpus     number of virtual CPUs
 * @param cpuTimeNs CPU time consumed, in nanoseconds
 */
public record DomainInfo(int state, long maxMemKiB, long memoryKiB, int vcpus, long cpuTimeNs) {
}
