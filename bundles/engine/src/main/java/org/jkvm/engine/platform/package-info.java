/**
 * The PC platform around the vCPU: the backend's interrupt controllers wired to the user-space devices
 * ({@link org.jkvm.engine.platform.IrqLines}), those devices on the port bus
 * ({@link org.jkvm.engine.platform.PcDevices}), their guest time and timers
 * ({@link org.jkvm.engine.platform.EngineClock}), the state a reset puts back
 * ({@link org.jkvm.engine.platform.PowerOnState}) and the migration sections of the interrupt controllers and timer
 * ({@link org.jkvm.engine.platform.PcStateCodec}).
 */
package org.jkvm.engine.platform;
