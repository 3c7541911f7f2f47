package org.jkvm.rpc;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.xml.parsers.DocumentBuilderFactory;

import org.jkvm.remote.DomainInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.NodeInfo;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.remote.spi.HypervisorDriver;
import org.w3c.dom.Document;

/**
 * An in-memory driver for the server's tests: a map of domains, no engine. Accepts {@code test:///} and
 * {@code jkvm:///system|session} URIs, and "" (the default).
 */
final class TestDriver implements HypervisorDriver {
    final Map<UUID, Dom> domains = new ConcurrentHashMap<>();
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final AtomicInteger jobPolls = new AtomicInteger();
    final AtomicInteger consolesClosed = new AtomicInteger();
    /** When set, every GET_XML_DESC answers this (to test oversized replies). */
    volatile String xmlOverride;
    private final AtomicInteger nextId = new AtomicInteger(1);
    /** Migration phases seen, in order (see {@link TestMigration#describe}). */
    final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    final java.util.List<org.jkvm.remote.spi.LifecycleListener> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    /** When set, save() blocks until it is counted down (to test concurrent job polls). */
    volatile CountDownLatch saveGate;
    /** When set, defineXml runs it first (to test what escapes a driver: errors, stack overflows). */
    volatile java.util.function.Consumer<String> defineHook;

    static final class Dom {
        final String name;
        final UUID uuid;
        final String xml;
        final long memoryKiB;
        final int vcpus;
        volatile int id = -1;
        volatile DomainState state = new DomainState(DomainState.SHUTOFF, 0);
        volatile long maxSpeed = 8_796_093_022_207L;
        volatile long maxDowntime = 300;
        volatile boolean saving;
        volatile boolean persistent = true;

        Dom(String name, UUID uuid, String xml, long memoryKiB, int vcpus) {
            this.name = name;
            this.uuid = uuid;
            this.xml = xml;
            this.memoryKiB = memoryKiB;
            this.vcpus = vcpus;
        }

        DomainRef ref() {
            return new DomainRef(name, uuid, id);
        }
    }

    @Override
    public String name() {
        return "test";
    }

    @Override
    public boolean accepts(String uri) {
        return uri.isEmpty() || uri.startsWith("jkvm:///") || uri.startsWith("test:///");
    }

    @Override
    public DriverConnection open(String uri, boolean readOnly) {
        opened.incrementAndGet();
        return new Conn(uri.isEmpty() ? "jkvm:///system" : uri);
    }

    void emit(Dom d, int event, int detail) {
        listeners.forEach(l -> l.onLifecycle(d.ref(), event, detail));
    }

    Dom find(DomainRef ref) {
        Dom d = domains.get(ref.uuid());
        if (d == null) {
            throw LibvirtError.noDomain("no domain with matching uuid '" + ref.uuid() + "' (" + ref.name() + ")");
        }
        return d;
    }

    final class Conn implements DriverConnection {
        private final String uri;

        Conn(String uri) {
            this.uri = uri;
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }

        @Override
        public String type() {
            return "JKVM";
        }

        @Override
        public long version() {
            return 1_002_003L;
        }

        @Override
        public String hostname() {
            return "jkvm-test-host";
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public NodeInfo nodeInfo() {
            return new NodeInfo("x86_64", 24L * 1024 * 1024, 2, 2400, 1, 1, 2, 1);
        }

        @Override
        public String capabilities() {
            return "<capabilities><host><cpu><arch>x86_64</arch></cpu></host></capabilities>\n";
        }

        @Override
        public AutoCloseable watchLifecycle(DomainRef domain, org.jkvm.remote.spi.LifecycleListener listener) {
            org.jkvm.remote.spi.LifecycleListener filtered = (d, e, det) -> {
                if (domain == null || domain.uuid().equals(d.uuid())) {
                    listener.onLifecycle(d, e, det);
                }
            };
            listeners.add(filtered);
            return () -> listeners.remove(filtered);
        }

        @Override
        public List<DomainRef> listAllDomains(int flags) {
            List<DomainRef> out = new ArrayList<>();
            for (Dom d : domains.values()) {
                boolean active = d.id > 0;
                boolean wanted = (flags & 3) == 0 || ((flags & 1) != 0 && active) || ((flags & 2) != 0 && !active);
                if (wanted) {
                    out.add(d.ref());
                }
            }
            out.sort((a, b) -> a.name().compareTo(b.name()));
            return out;
        }

        @Override
        public DomainRef lookupByName(String name) {
            return domains.values().stream().filter(d -> d.name.equals(name)).findFirst()
                    .orElseThrow(() -> LibvirtError.noDomain("no domain with matching name '" + name + "'")).ref();
        }

        @Override
        public DomainRef lookupByUuid(UUID uuid) {
            Dom d = domains.get(uuid);
            if (d == null) {
                throw LibvirtError.noDomain("no domain with matching uuid '" + uuid + "'");
            }
            return d.ref();
        }

        @Override
        public DomainRef lookupById(int id) {
            return domains.values().stream().filter(d -> d.id == id).findFirst()
                    .orElseThrow(() -> LibvirtError.noDomain("no domain with matching id " + id)).ref();
        }

        @Override
        public DomainRef defineXml(String xml, int flags) {
            java.util.function.Consumer<String> hook = defineHook;
            if (hook != null) {
                hook.accept(xml);
            }
            Document doc;
            try {
                doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
            } catch (Exception e) {
                throw LibvirtError.xmlError("(domain_definition):1: " + e.getMessage());
            }
            String name = text(doc, "name");
            if (name == null) {
                throw LibvirtError.xmlError("missing domain name");
            }
            String uuidText = text(doc, "uuid");
            UUID uuid = uuidText == null ? UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8))
                    : UUID.fromString(uuidText);
            String mem = text(doc, "memory");
            String vcpu = text(doc, "vcpu");
            Dom d = new Dom(name, uuid, xml, mem == null ? 65536 : Long.parseLong(mem),
                    vcpu == null ? 1 : Integer.parseInt(vcpu));
            for (Dom other : domains.values()) {
                if (other.name.equals(name) && !other.uuid.equals(uuid)) {
                    throw LibvirtError.operationFailed("domain '" + name + "' already exists with uuid "
                            + other.uuid);
                }
            }
            domains.put(uuid, d);
            return d.ref();
        }

        private String text(Document doc, String tag) {
            var list = doc.getElementsByTagName(tag);
            return list.getLength() == 0 ? null : list.item(0).getTextContent().trim();
        }

        @Override
        public void undefine(DomainRef dom, int flags) {
            Dom d = find(dom);
            if (d.id > 0) {
                throw LibvirtError.operationInvalid("cannot undefine a running domain in the test driver");
            }
            domains.remove(d.uuid);
        }

        @Override
        public DomainRef create(DomainRef dom, int flags) {
            Dom d = find(dom);
            if (d.id > 0) {
                throw LibvirtError.operationInvalid("domain is already running");
            }
            d.id = nextId.getAndIncrement();
            d.state = new DomainState(DomainState.RUNNING, DomainState.RUNNING_BOOTED);
            emit(d, 2, 0);
            return d.ref();
        }

        @Override
        public void destroy(DomainRef dom, int flags) {
            Dom d = find(dom);
            if (d.id < 0) {
                throw LibvirtError.operationInvalid("domain is not running");
            }
            d.id = -1;
            d.state = new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_DESTROYED);
            emit(d, 5, 1);
        }

        @Override
        public void suspend(DomainRef dom) {
            find(dom).state = new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER);
        }

        @Override
        public void resume(DomainRef dom) {
            find(dom).state = new DomainState(DomainState.RUNNING, DomainState.RUNNING_UNPAUSED);
        }

        @Override
        public DomainInfo info(DomainRef dom) {
            Dom d = find(dom);
            return new DomainInfo(d.state.state(), d.memoryKiB, d.id > 0 ? d.memoryKiB : 0, d.vcpus,
                    d.id > 0 ? 12_345_678_900L : 0);
        }

        @Override
        public DomainState state(DomainRef dom, int flags) {
            return find(dom).state;
        }

        @Override
        public String xmlDesc(DomainRef dom, int flags) {
            String override = xmlOverride;
            return override != null ? override : find(dom).xml;
        }

        @Override
        public boolean isActive(DomainRef dom) {
            return find(dom).id > 0;
        }

        @Override
        public boolean isPersistent(DomainRef dom) {
            return find(dom).persistent;
        }

        @Override
        public org.jkvm.remote.MigrationResults.Begin migrateBegin3(DomainRef dom,
                List<org.jkvm.remote.TypedParam> params, int flags) {
            return TestMigration.begin(TestDriver.this, dom, params, flags);
        }

        @Override
        public org.jkvm.remote.MigrationResults.Prepare migratePrepare3(List<org.jkvm.remote.TypedParam> params,
                byte[] cookieIn, int flags) {
            return TestMigration.prepare(TestDriver.this, this, params, cookieIn, flags);
        }

        @Override
        public byte[] migratePerform3(DomainRef dom, String dconnUri, List<org.jkvm.remote.TypedParam> params,
                byte[] cookieIn, int flags) {
            return TestMigration.perform(TestDriver.this, this, dom, dconnUri, params, cookieIn, flags);
        }

        @Override
        public org.jkvm.remote.MigrationResults.Finish migrateFinish3(List<org.jkvm.remote.TypedParam> params,
                byte[] cookieIn, int flags, boolean cancelled) {
            return TestMigration.finish(TestDriver.this, this, params, cookieIn, flags, cancelled);
        }

        @Override
        public void migrateConfirm3(DomainRef dom, List<org.jkvm.remote.TypedParam> params, byte[] cookieIn,
                int flags, boolean cancelled) {
            TestMigration.confirm(TestDriver.this, dom, params, cookieIn, flags, cancelled);
        }

        @Override
        public void save(DomainRef dom, String path, String dxml, int flags) {
            Dom d = find(dom);
            d.saving = true;
            try {
                CountDownLatch gate = saveGate;
                if (gate != null && !gate.await(10, TimeUnit.SECONDS)) {
                    throw LibvirtError.operationFailed("save timed out in the test driver");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                d.saving = false;
            }
            d.id = -1;
            d.state = new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_SAVED);
        }

        @Override
        public org.jkvm.remote.spi.ConsoleStream openConsole(DomainRef dom, String devName, int flags,
                org.jkvm.remote.spi.StreamSink toClient) {
            Dom d = find(dom);
            if (d.id < 0) {
                throw LibvirtError.operationInvalid("domain is not running");
            }
            // output before the reply has gone out: the server must hold it back
            byte[] banner = ("console of " + d.name + "\r\n").getBytes(StandardCharsets.US_ASCII);
            toClient.data(banner, 0, banner.length);
            return new org.jkvm.remote.spi.ConsoleStream() {
                @Override
                public void write(byte[] data) {
                    byte[] upper = new String(data, StandardCharsets.ISO_8859_1).toUpperCase()
                            .getBytes(StandardCharsets.ISO_8859_1);
                    toClient.data(upper, 0, upper.length);
                }

                @Override
                public void close() {
                    consolesClosed.incrementAndGet();
                }
            };
        }

        @Override
        public JobInfo jobInfo(DomainRef dom) {
            Dom d = find(dom);
            jobPolls.incrementAndGet();
            return d.saving ? new JobInfo(JobInfo.UNBOUNDED, 5, 0, 100, 40, 60, 100, 40, 60, 0, 0, 0)
                    : JobInfo.none();
        }

        @Override
        public org.jkvm.remote.JobStats jobStats(DomainRef dom, int flags) {
            Dom d = find(dom);
            if (!d.saving) {
                return org.jkvm.remote.JobStats.none();
            }
            return new org.jkvm.remote.JobStats(JobInfo.UNBOUNDED, List.of(
                    new org.jkvm.remote.TypedParam.Int("operation", 2),
                    new org.jkvm.remote.TypedParam.ULLong("time_elapsed", 1500),
                    new org.jkvm.remote.TypedParam.ULLong("data_total", 1L << 30),
                    new org.jkvm.remote.TypedParam.ULLong("data_processed", 1L << 29),
                    new org.jkvm.remote.TypedParam.ULLong("data_remaining", 1L << 29),
                    new org.jkvm.remote.TypedParam.ULLong("memory_dirty_rate", 250)));
        }

        @Override
        public long migrateGetMaxSpeed(DomainRef dom, int flags) {
            return find(dom).maxSpeed;
        }

        @Override
        public void migrateSetMaxSpeed(DomainRef dom, long mibPerSecond, int flags) {
            find(dom).maxSpeed = mibPerSecond;
        }

        @Override
        public long migrateGetMaxDowntime(DomainRef dom, int flags) {
            return find(dom).maxDowntime;
        }

        @Override
        public void migrateSetMaxDowntime(DomainRef dom, long downtimeMs, int flags) {
            find(dom).maxDowntime = downtimeMs;
        }
    }
}
