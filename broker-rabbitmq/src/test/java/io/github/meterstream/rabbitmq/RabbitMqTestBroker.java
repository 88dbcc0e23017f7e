package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.rabbitmq.internal.MessageHeaders;
import io.github.meterstream.rabbitmq.internal.Topology;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * The real RabbitMQ server the tests run against: 127.0.0.1:5672, guest/guest, unless
 * {@code RABBITMQ_HOST}/{@code RABBITMQ_PORT} say otherwise. An unreachable broker fails the test
 * with what to do; it never skips.
 */
public final class RabbitMqTestBroker implements AutoCloseable {

    static final String HOST = System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1");
    static final int PORT = Integer.parseInt(System.getenv().getOrDefault("RABBITMQ_PORT", "5672"));

    private final String vhost;
    private final Connection admin;
    private final List<RabbitMqSourceConfig> declared = new ArrayList<>();

    public RabbitMqTestBroker(String vhost) {
        requireReachable();
        this.vhost = vhost;
        try {
            ConnectionFactory f = new ConnectionFactory();
            f.setHost(HOST);
            f.setPort(PORT);
            f.setVirtualHost(vhost);
            f.setAutomaticRecoveryEnabled(false);
            this.admin = f.newConnection("meterstream-test-admin");
        } catch (Exception e) {
            throw new AssertionError("cannot open an admin connection to RabbitMQ at " + HOST + ':' + PORT + " vhost " + vhost, e);
        }
    }

    public static void requireReachable() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 2000);
        } catch (IOException e) {
            fail("RabbitMQ is not reachable at " + HOST + ':' + PORT + " (" + e.getMessage() + "). These tests need a real "
                    + "broker: start it with `rabbitmq-server -detached` (guest/guest on localhost) and wait for the port, or "
                    + "set RABBITMQ_HOST/RABBITMQ_PORT.");
        }
    }

    /** Source configuration for {@code queue}, with test-friendly timeouts; {@code extra} overrides. */
    public RabbitMqSourceConfig config(String queue, String... extra) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("host", HOST);
        m.put("port", Integer.toString(PORT));
        m.put("virtual-host", vhost);
        m.put("queue", queue);
        m.put("retry.delays", "500ms,5s");
        m.put("prefetch", "50");
        m.put("connection-timeout", "5s");
        m.put("reconnect-delay", "1s");
        m.put("confirm-timeout", "10s");
        for (int i = 0; i < extra.length; i += 2) {
            m.put(extra[i], extra[i + 1]);
        }
        return RabbitMqSourceConfig.from(ConfigValues.of("test.", m));
    }

    /** Declares the topology of {@code config} (as the source would) and deletes it on {@link #close()}. */
    public void declare(RabbitMqSourceConfig config) {
        try {
            Topology.declare(admin, config);
        } catch (Exception e) {
            throw new AssertionError("cannot declare the topology of " + config.queue(), e);
        }
        declared.add(config);
    }

    /** Remembers {@code config}'s queues for deletion. */
    void deleteLater(RabbitMqSourceConfig config) {
        declared.add(config);
    }

    public void publish(String queue, byte[] payload, Map<String, String> headers) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.confirmSelect();
            ch.basicPublish("", queue, true, props(headers), payload);
            ch.waitForConfirmsOrDie(10_000);
        }
    }

    /** Publishes every payload with confirms, in order. */
    void publishAll(String queue, List<String> payloads) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.confirmSelect();
            for (String p : payloads) {
                ch.basicPublish("", queue, true, props(Map.of()), p.getBytes(StandardCharsets.UTF_8));
            }
            ch.waitForConfirmsOrDie(60_000);
        }
    }

    private static AMQP.BasicProperties props(Map<String, String> headers) {
        return new AMQP.BasicProperties.Builder().deliveryMode(2).headers(new HashMap<>(headers)).build();
    }

    /** A message read back from a queue. */
    public static final class Read {
        final byte[] payload;
        final Map<String, String> headers;

        Read(byte[] payload, Map<String, String> headers) {
            this.payload = payload;
            this.headers = headers;
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** Everything in {@code queue}, oldest first, left in place (read without ack, then requeued). */
    public List<Read> peek(String queue) throws Exception {
        List<Read> out = new ArrayList<>();
        try (Channel ch = admin.createChannel()) {
            GetResponse r;
            while ((r = ch.basicGet(queue, false)) != null) {
                out.add(new Read(r.getBody(), MessageHeaders.toText(r.getProps().getHeaders())));
            }
        }
        return out;
    }

    /** Ready messages in {@code queue} (not those delivered and unacknowledged). */
    public long depth(String queue) throws Exception {
        try (Channel ch = admin.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        }
    }

    void deleteExchange(String exchange) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.exchangeDelete(exchange);
        }
    }

    void deleteQueue(String queue) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.queueDelete(queue);
        }
    }

    /** Closes the admin connection and leaves every queue in place. */
    public void disconnect() throws Exception {
        if (admin.isOpen()) {
            admin.close();
        }
    }

    /** Deletes the queues of every declared configuration and closes the admin connection. */
    @Override
    public void close() throws Exception {
        if (admin.isOpen()) {
            try (Channel ch = admin.createChannel()) {
                for (RabbitMqSourceConfig c : declared) {
                    ch.queueDelete(c.queue());
                    ch.queueDelete(c.deadLetterQueue());
                    for (Duration b : c.retryDelays()) {
                        ch.queueDelete(c.retryQueue(b));
                    }
                    ch.exchangeDelete(c.deadLetterExchange());
                }
            }
            admin.close();
        }
    }

    // ---- rabbitmqctl, for what AMQP cannot do: virtual hosts and forced connection closes ---------

    public static String rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            fail("rabbitmqctl is needed on the PATH next to the broker for this test (" + e.getMessage() + ')');
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted running " + cmd);
        }
        throw new AssertionError("unreachable");
    }

    /**
     * The broker's line for the one connection whose client-provided name is {@code name}: pid, then
     * channel count. Tests name their connections so that they can close their own and nobody else's.
     */
    private static String[] connectionNamed(String name) {
        String marker = "{\"connection_name\",\"" + name + "\"}";
        String out = rabbitmqctl("list_connections", "-q", "--no-table-headers", "pid", "channels", "client_properties");
        List<String[]> found = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.contains(marker)) {
                found.add(line.split("\t"));
            }
        }
        if (found.size() != 1) {
            fail("expected one connection named " + name + ", found " + found.size() + ": " + out);
        }
        return found.get(0);
    }

    /** Closes the connection named {@code name} from the broker side (CONNECTION_FORCED); others are untouched. */
    public static void closeConnection(String name) {
        rabbitmqctl("close_connection", connectionNamed(name)[0], "meterstream test: forced close of " + name);
    }

    /**
     * Makes the broker close one consuming channel of the connection named {@code name} with a real
     * channel error: the channel process is handed a basic.ack of a delivery tag it never issued, as
     * if the client had sent it, and answers with channel.close 406 (unknown delivery tag).
     * rabbitmqctl has no command to close a single channel; this goes through {@code eval}.
     */
    public static void failConsumerChannelOf(String name) {
        String connectionPid = connectionNamed(name)[0];
        String out = rabbitmqctl("list_channels", "-q", "--no-table-headers", "pid", "connection", "consumer_count");
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 3 && f[1].equals(connectionPid) && Integer.parseInt(f[2].trim()) > 0) {
                rabbitmqctl("eval", "rabbit_channel:do(rabbit_misc:string_to_pid(\"" + f[0] + "\"), {'basic.ack', 999999999, false}).");
                return;
            }
        }
        fail("no consuming channel on connection " + name + ": " + out);
    }

    /** Channels the broker counts on the connection named {@code name}. */
    public static int channelsOf(String name) {
        return Integer.parseInt(connectionNamed(name)[1].trim());
    }

    /** What the broker holds for {@code queue} of {@code vhost}. */
    public static final class QueueCounts {
        public final long messages;
        public final long ready;
        public final long unacknowledged;
        public final int consumers;

        QueueCounts(long messages, long ready, long unacknowledged, int consumers) {
            this.messages = messages;
            this.ready = ready;
            this.unacknowledged = unacknowledged;
            this.consumers = consumers;
        }

        @Override
        public String toString() {
            return messages + " message(s): " + ready + " ready, " + unacknowledged + " unacknowledged; " + consumers + " consumer(s)";
        }
    }

    /**
     * Counts as the broker itself reports them. Unlike a passive declare this includes unacknowledged
     * messages, and on quorum queues messages waiting to be dead-lettered (in {@code messages}, not
     * {@code ready}).
     */
    public static QueueCounts counts(String vhost, String queue) {
        String out = rabbitmqctl("list_queues", "-q", "--no-table-headers", "-p", vhost, "name", "messages", "messages_ready",
                "messages_unacknowledged", "consumers");
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 5 && f[0].equals(queue)) {
                return new QueueCounts(Long.parseLong(f[1].trim()), Long.parseLong(f[2].trim()), Long.parseLong(f[3].trim()),
                        Integer.parseInt(f[4].trim()));
            }
        }
        throw new AssertionError("queue " + queue + " not found in vhost " + vhost + ": " + out);
    }

    /** The arguments the broker stored for {@code queue}, in rabbitmqctl's Erlang notation. */
    public static String arguments(String vhost, String queue) {
        String out = rabbitmqctl("list_queues", "-q", "--no-table-headers", "-p", vhost, "name", "arguments");
        for (String line : out.split("\n")) {
            String[] f = line.split("\t", 2);
            if (f.length == 2 && f[0].equals(queue)) {
                return f[1];
            }
        }
        throw new AssertionError("queue " + queue + " not found in vhost " + vhost + ": " + out);
    }

    /** Creates a virtual host guest may use; the broker must run on this machine. */
    static void addVhost(String vhost) {
        requireReachable();
        rabbitmqctl("add_vhost", vhost);
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    }

    static void deleteVhost(String vhost) {
        rabbitmqctl("delete_vhost", vhost);
    }

    /** Closes every client connection of {@code vhost} from the broker side (CONNECTION_FORCED). */
    static void closeAllConnections(String vhost) {
        rabbitmqctl("close_all_connections", "--vhost", vhost, "meterstream test: forced close");
    }
}
