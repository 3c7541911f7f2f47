package org.jkvm.driver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.jkvm.domainxml.KvmDevice;

/**
 * Reads the driver's {@link DriverConfig} from string properties (the OSGi framework properties the daemon sets).
 *
 * <table>
 * <caption>Properties</caption>
 * <tr><td>{@code jkvm.state.dir}</td><td>state folder (required)</td></tr>
 * <tr><td>{@code jkvm.engine.command}</td><td>engine program and leading arguments, space-separated
 * (required)</td></tr>
 * <tr><td>{@code jkvm.qemu.alias}</td><td>{@code true} (default) to serve {@code qemu:///system} too</td></tr>
 * <tr><td>{@code jkvm.migration.address}</td><td>address advertised to migration sources</td></tr>
 * <tr><td>{@code jkvm.migration.ports}</td><td>{@code FROM-TO}, default {@code 49152-49215}</td></tr>
 * <tr><td>{@code jkvm.engine.start.timeout}</td><td>seconds an engine may take to open its monitor (60)</td></tr>
 * <tr><td>{@code jkvm.engine.spare}</td><td>{@code true} (default) to keep one engine process started ahead of
 * need ({@code jkvm-engine -standby}), so a migration's destination engine is ready within tens of
 * milliseconds</td></tr>
 * <tr><td>{@code jkvm.kvm.device}</td><td>the KVM device; unset: the environment variable {@code JKVM_KVM_DEVICE},
 * else {@code /dev/kvm} (a missing path means no KVM: only {@code type='qemu'} domains start)</td></tr>
 * </table>
 */
public final class DriverSettings {
    /** Property naming the state folder. */
    public static final String STATE_DIR = "jkvm.state.dir";
    /** Property naming the engine command. */
    public static final String ENGINE_COMMAND = "jkvm.engine.command";
    /** Property switching the qemu alias. */
    public static final String QEMU_ALIAS = "jkvm.qemu.alias";
    /** Property with the migration address. */
    public static final String MIGRATION_ADDRESS = "jkvm.migration.address";
    /** Property with the migration port range. */
    public static final String MIGRATION_PORTS = "jkvm.migration.ports";
    /** Property with the engine start timeout in seconds. */
    public static final String ENGINE_START_TIMEOUT = "jkvm.engine.start.timeout";
    /** Property switching the spare engine. */
    public static final String ENGINE_SPARE = "jkvm.engine.spare";
    /** Property naming the KVM device. */
    public static final String KVM_DEVICE = KvmDevice.PROPERTY;

    private DriverSettings() {
    }

    /**
     * Builds the configuration.
     *
     * @param props a property lookup returning null for unset properties
     * @throws IllegalArgumentException naming the property when one is missing or malformed
     */
    public static DriverConfig from(Function<String, String> props) {
        String state = props.apply(STATE_DIR);
        if (state == null || state.isBlank()) {
            throw new IllegalArgumentException(STATE_DIR + " is not set; start the driver through bin/jkvmd or set "
                    + "it to the daemon's state folder");
        }
        String engine = props.apply(ENGINE_COMMAND);
        if (engine == null || engine.isBlank()) {
            throw new IllegalArgumentException(ENGINE_COMMAND + " is not set; set it to the path of bin/jkvm-engine");
        }
        List<String> command = Arrays.stream(engine.trim().split("\\s+")).toList();
        boolean alias = !"false".equalsIgnoreCase(props.apply(QEMU_ALIAS));
        String ports = props.apply(MIGRATION_PORTS);
        int from = 49152;
        int to = 49215;
        if (ports != null && !ports.isBlank()) {
            String[] p = ports.trim().split("-");
            try {
                from = Integer.parseInt(p[0]);
                to = Integer.parseInt(p.length > 1 ? p[1] : p[0]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MIGRATION_PORTS + "='" + ports + "' is not FROM-TO, e.g. "
                        + "49152-49215", e);
            }
        }
        String timeout = props.apply(ENGINE_START_TIMEOUT);
        long seconds = 60;
        if (timeout != null && !timeout.isBlank()) {
            try {
                seconds = Long.parseLong(timeout.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ENGINE_START_TIMEOUT + "='" + timeout
                        + "' is not a number of seconds", e);
            }
        }
        String address = props.apply(MIGRATION_ADDRESS);
        return new DriverConfig(Path.of(state), command, alias, address == null || address.isBlank() ? null : address,
                from, to, Duration.ofSeconds(seconds), !"false".equalsIgnoreCase(props.apply(ENGINE_SPARE)),
                KvmDevice.configured(props, System::getenv));
    }
}
