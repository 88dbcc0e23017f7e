package io.github.meterstream.activemq;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.broker.BrokerFilter;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.ProducerBrokerExchange;
import org.apache.activemq.broker.SslContext;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A real ActiveMQ Classic broker in this JVM, reached over TCP on 127.0.0.1 (a free port), with a
 * persistent KahaDB store and the job scheduler (for {@code AMQ_SCHEDULED_DELAY}) in a temporary
 * directory. {@link #restart()} stops it and starts it again on the same port and store, as an
 * operator restarting a broker would. Optionally an {@code ssl://} connector with a key store.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();
 * }</pre>
 */
public final class EmbeddedActiveMqBroker implements BeforeAllCallback, AfterAllCallback {

    /** The broker's key store (its key) and trust store (client certificates it accepts), PKCS12, one password. */
    public static final class BrokerKeyStore {
        final Path keyStore;
        final Path trustStore;
        final String password;

        public BrokerKeyStore(Path keyStore, Path trustStore, String password) {
            this.keyStore = keyStore;
            this.trustStore = trustStore;
            this.password = password;
        }
    }

    private final BrokerKeyStore sslKeyStore;
    /** Queues whose sends the broker refuses, as a full store or a denied destination would. */
    private final Set<String> refusing = ConcurrentHashMap.newKeySet();
    private Path dataDir;
    private int port;
    private int sslPort;
    private BrokerService broker;
    private String owner;

    public EmbeddedActiveMqBroker() {
        this(null);
    }

    /** With an {@code ssl://} connector presenting the key in {@code sslKeyStore} (PKCS12). */
    public EmbeddedActiveMqBroker(BrokerKeyStore sslKeyStore) {
        this.sslKeyStore = sslKeyStore;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) throws Exception {
        // @Nested classes inherit the extension: the outermost class owns the broker
        if (owner == null) {
            owner = context.getUniqueId();
            start();
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) throws Exception {
        if (context.getUniqueId().equals(owner)) {
            owner = null;
            stop();
            deleteRecursively(dataDir);
            dataDir = null;
        }
    }

    /** Starts the broker; the first start picks the ports and the store directory, later ones reuse them. */
    public synchronized void start() throws Exception {
        if (dataDir == null) {
            dataDir = Files.createTempDirectory("meterstream-activemq-");
            port = freePort();
            sslPort = sslKeyStore == null ? -1 : freePort();
        }
        BrokerService b = new BrokerService();
        b.setBrokerName("meterstream-test-" + port);
        b.setUseJmx(false);
        b.setUseShutdownHook(false);
        b.setPersistent(true);
        b.setSchedulerSupport(true);
        b.setDataDirectoryFile(dataDir.toFile());
        b.setSchedulerDirectoryFile(dataDir.resolve("scheduler").toFile());
        KahaDBPersistenceAdapter kahaDb = new KahaDBPersistenceAdapter();
        kahaDb.setDirectory(dataDir.resolve("kahadb").toFile());
        // a clean stop flushes the journal; per-send fsyncs would only slow the tests down
        kahaDb.setJournalDiskSyncStrategy("periodic");
        b.setPersistenceAdapter(kahaDb);
        b.setPlugins(new BrokerPlugin[] {next -> new BrokerFilter(next) {
            @Override
            public void send(ProducerBrokerExchange producer, org.apache.activemq.command.Message message) throws Exception {
                if (refusing.contains(message.getDestination().getPhysicalName())) {
                    throw new javax.jms.JMSException("queue " + message.getDestination().getPhysicalName() + " refuses new messages");
                }
                super.send(producer, message);
            }
        }});
        b.addConnector("tcp://127.0.0.1:" + port);
        if (sslKeyStore != null) {
            b.setSslContext(brokerSslContext());
            b.addConnector("ssl://127.0.0.1:" + sslPort + "?needClientAuth=true");
        }
        b.start();
        if (!b.waitUntilStarted(30_000)) {
            throw new IllegalStateException("the embedded ActiveMQ broker did not start within 30 s (data dir " + dataDir + ")");
        }
        broker = b;
    }

    /** Makes the broker refuse every send to {@code queue} until {@link #accept(String)}. */
    public void refuse(String queue) {
        refusing.add(queue);
    }

    /** Ends {@link #refuse(String)}. */
    public void accept(String queue) {
        refusing.remove(queue);
    }

    /** Stops the broker and waits until it has; the store stays for {@link #start()}. */
    public synchronized void stop() throws Exception {
        if (broker != null) {
            broker.stop();
            broker.waitUntilStopped();
            broker = null;
        }
    }

    public void restart() throws Exception {
        stop();
        start();
    }

    /** {@code tcp://127.0.0.1:<port>}. */
    public String tcpUrl() {
        return "tcp://127.0.0.1:" + port;
    }

    /** {@code failover:(tcp://127.0.0.1:<port>)} with a quick first reconnect. */
    public String failoverUrl() {
        return "failover:(" + tcpUrl() + ")?initialReconnectDelay=100&maxReconnectDelay=1000";
    }

    public String sslUrl() {
        return "ssl://127.0.0.1:" + sslPort;
    }

    // ---- test-side client ---------------------------------------------------------------------

    /** Sends persistent BytesMessages with string properties in one transaction; returns once stored. */
    public void publish(String queue, List<byte[]> payloads, Function<Integer, Map<String, String>> headers) throws JMSException {
        withSession(true, session -> {
            MessageProducer producer = session.createProducer(session.createQueue(queue));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < payloads.size(); i++) {
                BytesMessage m = session.createBytesMessage();
                m.writeBytes(payloads.get(i));
                for (Map.Entry<String, String> h : headers.apply(i).entrySet()) {
                    m.setStringProperty(h.getKey(), h.getValue());
                }
                producer.send(m);
                if (i % 500 == 499) {
                    session.commit();
                }
            }
            session.commit();
            return null;
        });
    }

    public void publish(String queue, byte[] payload, Map<String, String> headers) throws JMSException {
        publish(queue, List.of(payload), i -> headers);
    }

    /** Sends one message built by {@code create} to {@code queue}, or to a topic when {@code topic} is true. */
    public void send(String destination, boolean topic, int deliveryMode, SessionFunction<Message> create) throws JMSException {
        withSession(false, session -> {
            MessageProducer producer = session.createProducer(
                    topic ? session.createTopic(destination) : session.createQueue(destination));
            producer.setDeliveryMode(deliveryMode);
            producer.send(create.apply(session));
            return null;
        });
    }

    /** What {@code queue} holds now, oldest first, without consuming it. */
    public List<BrowsedMessage> browse(String queue) throws JMSException {
        return withSession(false, session -> {
            Queue q = session.createQueue(queue);
            List<BrowsedMessage> out = new ArrayList<>();
            try (QueueBrowser browser = session.createBrowser(q)) {
                Enumeration<?> e = browser.getEnumeration();
                while (e.hasMoreElements()) {
                    out.add(BrowsedMessage.of((Message) e.nextElement()));
                }
            }
            return out;
        });
    }

    /** Messages stored in {@code queue}, as the broker counts them. */
    public long depth(String queue) throws Exception {
        org.apache.activemq.broker.region.Destination d = broker.getDestination(
                new org.apache.activemq.command.ActiveMQQueue(queue));
        return d == null ? 0 : d.getDestinationStatistics().getMessages().getCount();
    }

    /** A message read by {@link #browse(String)}. */
    public static final class BrowsedMessage {
        public final byte[] payload;
        public final Map<String, String> properties;
        public final boolean text;

        BrowsedMessage(byte[] payload, Map<String, String> properties, boolean text) {
            this.payload = payload;
            this.properties = properties;
            this.text = text;
        }

        static BrowsedMessage of(Message m) throws JMSException {
            byte[] payload;
            boolean text = false;
            if (m instanceof BytesMessage) {
                BytesMessage b = (BytesMessage) m;
                payload = new byte[(int) b.getBodyLength()];
                b.readBytes(payload);
            } else if (m instanceof TextMessage) {
                payload = ((TextMessage) m).getText().getBytes(StandardCharsets.UTF_8);
                text = true;
            } else {
                payload = new byte[0];
            }
            Map<String, String> props = new LinkedHashMap<>();
            Enumeration<?> names = m.getPropertyNames();
            while (names.hasMoreElements()) {
                String name = (String) names.nextElement();
                props.put(name, String.valueOf(m.getObjectProperty(name)));
            }
            return new BrowsedMessage(payload, props, text);
        }

        public String payloadAsString() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public Map<String, String> properties() {
            return properties;
        }

        /** Whether it is a TextMessage. */
        public boolean text() {
            return text;
        }
    }

    /** A step that may throw JMSException. */
    @FunctionalInterface
    public interface SessionFunction<T> {
        T apply(Session session) throws JMSException;
    }

    private <T> T withSession(boolean transacted, SessionFunction<T> work) throws JMSException {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(tcpUrl());
        factory.setWatchTopicAdvisories(false);
        Connection c = factory.createConnection();
        try {
            c.start();
            Session s = c.createSession(transacted, transacted ? Session.SESSION_TRANSACTED : Session.AUTO_ACKNOWLEDGE);
            return work.apply(s);
        } finally {
            c.close();
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private SslContext brokerSslContext() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(sslKeyStore.keyStore), sslKeyStore.password.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(sslKeyStore.trustStore));
        return new SslContext(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    private KeyStore load(Path path) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, sslKeyStore.password.toCharArray());
        }
        return ks;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
