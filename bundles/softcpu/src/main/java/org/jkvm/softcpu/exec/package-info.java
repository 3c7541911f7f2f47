/**
 * Execution: decoded blocks ({@code Block}), the block cache with self-modifying-code invalidation
 * ({@code BlockCache}) and the run loop ({@code Runner}).
 */
package org.jkvm.softcpu.exec;
