package io.github.meterstream.kafka;

import io.github.meterstream.testkit.TcpFaultProxy;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Kafka broker (KRaft, broker and controller in one) in this JVM, on 127.0.0.1: what
 * {@code kafka-storage format} plus {@code kafka-server-start} do, in about two seconds.
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();   // one per JVM
 * @RegisterExtension static final EmbeddedKafka TLS = EmbeddedKafka.withTls();    // one per class
 * }</pre>
 *
 * A broker that cannot start fails the test class with the reason; nothing is skipped.
 */
public final class EmbeddedKafka implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedKafka.class);
    private static final Object SHARED_LOCK = new Object();
    private static EmbeddedKafka sharedInstance;

    /** Passwords of the stores the TLS broker generates; test data, not secrets. */
    public static final String STORE_PASSWORD = "changeit-test";

    private final boolean shared;
    private final boolean tls;
    private final Map<String, String> brokerOverrides;
    private final boolean proxied;
    private TcpFaultProxy proxy;
    private String proxiedBootstrapServers;
    private Path dir;
    private KafkaRaftServer server;
    private KafkaConfig serverConfig;
    private String bootstrapServers;
    private String tlsBootstrapServers;
    private Path truststore;
    private Path wrongTruststore;
    private KafkaProducer<byte[], byte[]> producer;
    private Admin admin;

    private EmbeddedKafka(boolean shared, boolean tls) {
        this(shared, tls, Map.of());
    }

    private EmbeddedKafka(boolean shared, boolean tls, Map<String, String> brokerOverrides) {
        this(shared, tls, brokerOverrides, false);
    }

    private EmbeddedKafka(boolean shared, boolean tls, Map<String, String> brokerOverrides, boolean proxied) {
        this.shared = shared;
        this.tls = tls;
        this.brokerOverrides = Map.copyOf(brokerOverrides);
        this.proxied = proxied;
    }

    /**
     * A broker of its own with a second listener reached through a {@link TcpFaultProxy}: the
     * listener advertises the proxy's port, so a client bootstrapped at {@link
     * #proxiedBootstrapServers()} talks to the broker only through the proxy, and {@link #proxy()}
     * cuts or stalls its network for real. The test's own producer and admin use the direct listener.
     */
    public static EmbeddedKafka behindProxy() {
        return new EmbeddedKafka(false, false, Map.of(), true);
    }

    /** The proxy in front of the proxied listener ({@link #behindProxy()} only). */
    public TcpFaultProxy proxy() {
        return proxy;
    }

    /** host:port of the proxied listener ({@link #behindProxy()} only). */
    public String proxiedBootstrapServers() {
        return proxiedBootstrapServers;
    }

    /** The broker of this JVM: started by the first class that uses it, stopped when the run ends. */
    public static EmbeddedKafka shared() {
        synchronized (SHARED_LOCK) {
            if (sharedInstance == null) {
                sharedInstance = new EmbeddedKafka(true, false);
            }
            return sharedInstance;
        }
    }

    /** A broker of its own (PLAINTEXT), which a test may {@link #stopBroker() stop}; stopped after the class. */
    public static EmbeddedKafka ownBroker() {
        return new EmbeddedKafka(false, false);
    }

    /**
     * A broker of its own whose server properties differ from the usual ones by {@code overrides}
     * (for example {@code auto.create.topics.enable=false}, as production clusters often run).
     */
    public static EmbeddedKafka ownBroker(Map<String, String> overrides) {
        return new EmbeddedKafka(false, false, overrides);
    }

    /** Stops the broker now, as a crash or network loss would look to clients. */
    public void stopBroker() {
        stop();
    }

    /**
     * Stops the broker as a crash or a restart would, then starts it again on the same ports and
     * the same log directory (what an operator's restart does): topics, records and committed
     * offsets survive. Clients of this JVM keep their connections' configuration and reconnect.
     */
    public void restartBroker() {
        stopBrokerKeepingData();
        startBrokerAgain();
    }

    /** The first half of {@link #restartBroker()}: the broker is gone, its log directory stays. */
    public void stopBrokerKeepingData() {
        server.shutdown();
        server.awaitShutdown();
    }

    /** The second half of {@link #restartBroker()}: same ports, same data. */
    public void startBrokerAgain() {
        server = new KafkaRaftServer(serverConfig, Time.SYSTEM);
        server.startup();
    }

    /** A broker of its own with a TLS listener (PKCS12 stores generated by keytool); stopped after the class. */
    public static EmbeddedKafka withTls() {
        return new EmbeddedKafka(false, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        synchronized (SHARED_LOCK) {
            if (server != null) {
                return;
            }
            start();
            if (shared) {
                context.getRoot().getStore(NAMESPACE).put("broker", (ExtensionContext.Store.CloseableResource) this::stop);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!shared) {
            stop();
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** host:port of the TLS listener ({@link #withTls()} only). */
    public String tlsBootstrapServers() {
        return tlsBootstrapServers;
    }

    /** A PKCS12 truststore holding the broker's certificate. */
    public Path truststore() {
        return truststore;
    }

    /** A PKCS12 truststore holding an unrelated certificate: TLS with it must fail. */
    public Path wrongTruststore() {
        return wrongTruststore;
    }

    public void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        awaitReady(topic, partitions);
    }

    private void awaitReady(String topic, int partitions) throws Exception {
        // Publishing before every partition has a leader makes the idempotent producer retry a first
        // batch into an OutOfOrderSequenceException loop; wait until the broker reports all leaders.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            TopicDescription d;
            try {
                d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            } catch (java.util.concurrent.ExecutionException e) {
                // a loaded machine can answer "unknown topic" for a moment after the topic was created
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " is not described after 30 s", e);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                continue;
            }
            if (d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                // the metadata can name a leader before its log is ready; listOffsets is answered by the log
                Map<TopicPartition, OffsetSpec> specs = new java.util.HashMap<>();
                for (int i = 0; i < partitions; i++) {
                    specs.put(new TopicPartition(topic, i), OffsetSpec.latest());
                }
                try {
                    admin.listOffsets(specs).all().get(5, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    // not ready yet
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " is not ready on every partition after 30 s: " + d);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        List<PartitionInfo> known = producer.partitionsFor(topic);
        if (known.size() != partitions || known.stream().anyMatch(i -> i.leader() == null)) {
            throw new IllegalStateException("the test producer does not see all partitions of " + topic + ": " + known);
        }
    }

    /** Creates a topic with one partition and topic-level configs (for example {@code max.message.bytes}). */
    public void createTopic(String topic, Map<String, String> topicConfigs) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(topicConfigs))).all().get(30, TimeUnit.SECONDS);
        awaitReady(topic, 1);
    }

    /** Changes one topic-level config (for example {@code max.message.bytes}) of an existing topic. */
    public void setTopicConfig(String topic, String name, String value) throws Exception {
        org.apache.kafka.common.config.ConfigResource resource =
                new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                        new org.apache.kafka.clients.admin.ConfigEntry(name, value), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
                .all().get(30, TimeUnit.SECONDS);
    }

    /** {@link #createTopic} that fails the test with a plain assertion error instead of a checked exception. */
    public void createTopicQuietly(String topic, int partitions) {
        try {
            createTopic(topic, partitions);
        } catch (Exception e) {
            throw new AssertionError("could not create topic " + topic + ": " + e, e);
        }
    }

    /** The offset committed by {@code group} on partition 0 of {@code topic}, or -1 if none. */
    public long committedOffset(String group, String topic) throws Exception {
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        org.apache.kafka.clients.consumer.OffsetAndMetadata om = offsets.get(new TopicPartition(topic, 0));
        return om == null ? -1L : om.offset();
    }

    /** Publishes and waits for the broker's acknowledgement. */
    public void publish(String topic, String key, byte[] value, Map<String, String> headers) throws Exception {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
        headers.forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        producer.send(r).get(30, TimeUnit.SECONDS);
    }

    /** Publishes without waiting for each acknowledgement; call {@link #flush()} after. */
    public void publishAsync(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value));
    }

    /** Publishes without waiting; {@code done} gets null once the broker acknowledged it, else the error. */
    public void publishAsync(String topic, String key, byte[] value, java.util.function.Consumer<Exception> done) {
        producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
                (metadata, error) -> done.accept(error));
    }

    /** Publishes to one partition without waiting for the acknowledgement; call {@link #flush()} after. */
    public void publishAsync(String topic, int partition, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, partition, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value));
    }

    public void flush() {
        producer.flush();
    }

    /** Every record of {@code topic} from the beginning to its current end, with a throwaway consumer; empty if it does not exist. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                return out;
            }
            List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        } catch (org.apache.kafka.common.errors.UnknownTopicOrPartitionException e) {
            return out;
        }
        out.sort(Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset));
        return out;
    }

    // ---- start and stop -----------------------------------------------------------------------

    private void start() throws Exception {
        long began = System.nanoTime();
        dir = Files.createTempDirectory("embedded-kafka");
        Path logDir = dir.resolve("data");
        int port = freePort();
        int controllerPort = freePort();
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        String listeners = "PLAINTEXT://127.0.0.1:" + port;
        String map = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
        if (tls) {
            int tlsPort = freePort();
            Path keystore = generateStores();
            listeners += ",SSL://127.0.0.1:" + tlsPort;
            map += ",SSL:SSL";
            props.put("ssl.keystore.location", keystore.toString());
            props.put("ssl.keystore.password", STORE_PASSWORD);
            props.put("ssl.key.password", STORE_PASSWORD);
            props.put("ssl.keystore.type", "PKCS12");
            tlsBootstrapServers = "127.0.0.1:" + tlsPort;
        }
        String advertised = listeners;
        if (proxied) {
            int proxiedPort = freePort();
            proxy = new TcpFaultProxy("127.0.0.1", proxiedPort);
            listeners += ",PROXIED://127.0.0.1:" + proxiedPort;
            advertised += ",PROXIED://127.0.0.1:" + proxy.port();
            map += ",PROXIED:PLAINTEXT";
            proxiedBootstrapServers = "127.0.0.1:" + proxy.port();
        }
        props.put("advertised.listeners", advertised);
        props.put("listeners", listeners + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("listener.security.protocol.map", map);
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("group.min.session.timeout.ms", "1000");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("auto.create.topics.enable", "true");
        props.put("message.max.bytes", "2097152"); // the kit sends a 1 MiB payload; Kafka's default limit is just 1 MiB
        props.putAll(brokerOverrides);
        KafkaConfig config = KafkaConfig.fromProps(props, false);

        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(config.metadataLogDir())
                .addDirectory(logDir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
        serverConfig = config;
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        bootstrapServers = "127.0.0.1:" + port;

        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        admin = Admin.create(adminProps);
        try {
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("the embedded Kafka broker did not come up on " + bootstrapServers + ": " + e, e);
        }
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "2097152");
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(producerProps);
        System.out.printf("Embedded Kafka (%s) up on %s in %d ms%n", tls ? "PLAINTEXT + TLS" : "PLAINTEXT", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    private void stop() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
            producer = null;
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
            admin = null;
        }
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a temp dir left behind is harmless
            }
        }
    }

    /** Broker keystore, its truststore, and a truststore of an unrelated certificate, all PKCS12. */
    private Path generateStores() throws Exception {
        Path keystore = dir.resolve("broker.p12");
        Path cert = dir.resolve("broker.cer");
        truststore = dir.resolve("truststore.p12");
        Path otherKeystore = dir.resolve("other.p12");
        Path otherCert = dir.resolve("other.cer");
        wrongTruststore = dir.resolve("wrong-truststore.p12");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", STORE_PASSWORD);
        keytool("-genkeypair", "-alias", "other", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=someone-else", "-storetype", "PKCS12",
                "-keystore", otherKeystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "other", "-keystore", otherKeystore.toString(), "-storepass", STORE_PASSWORD,
                "-file", otherCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "other", "-file", otherCert.toString(), "-storetype", "PKCS12",
                "-keystore", wrongTruststore.toString(), "-storepass", STORE_PASSWORD);
        return keystore;
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
