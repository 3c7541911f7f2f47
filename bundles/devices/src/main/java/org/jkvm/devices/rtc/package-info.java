/**
 * The PC's CMOS real-time clock ({@link org.jkvm.devices.rtc.CmosRtc}, an MC146818) with its versioned state
 * ({@link org.jkvm.devices.rtc.RtcState}); guest time and its timer are injected
 * ({@link org.jkvm.devices.DeviceClock}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.rtc;
