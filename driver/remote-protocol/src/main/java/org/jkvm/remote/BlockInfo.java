package org.jkvm.remote;

/**
 * A disk's sizes as {@code virDomainGetBlockInfo} reports them (remote_domain_get_block_info_ret), in bytes.
 *
 * @param allocation the bytes of the host file in use (its allocated blocks)
 * @param capacity   the size the guest sees (a qcow2 image's virtual size, a raw file's size)
 * @param physical   the host file's size
 */
public record BlockInfo(long allocation, long capacity, long physical) {
}
