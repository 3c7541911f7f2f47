package org.jkvm.remote;

/**
 * {@code remote_node_get_info_ret} (virNodeInfo), the answer to NODE_GET_INFO.
 *
 * @param model     CPU model, at most 31 ASCII characters (sent as a widened {@code char[32]})
 * @param memoryKiB host memory in KiB
 * @param cpus      active CPUs
 * @param mhz       CPU frequency in MHz
 * @param nodes     NUMA nodes
 * @param sockets   sockets per node
 * @param cores     cores per socket
 * @param threads   threads per core
 */
public record NodeInfo(String model, long memoryKiB, int cpus, int mhz, int nodes, int sockets, int cores,
                       int threads) {
}
