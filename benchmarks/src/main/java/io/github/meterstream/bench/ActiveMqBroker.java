package io.github.meterstream.bench;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.region.Destination;
import org.apache.activemq.command.ActiveMQQueue;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.MessageProducer;
import javax.jms.Session;
import java.net.ServerSocket;
import java.util.function.IntFunction;

/**
 * A real ActiveMQ Classic broker (the version broker-activemq tests against) in this JVM, reached
 * over TCP on 127.0.0.1, with the in-memory store: consumption speed is what is measured, not KahaDB.
 */
final class ActiveMqBroker implements AutoCloseable {

    private final BrokerService broker;
    private final String url;

    ActiveMqBroker() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        broker = new BrokerService();
        broker.setBrokerName("meterstream-bench");
        broker.setUseJmx(false);
        broker.setUseShutdownHook(false);
        broker.setPersistent(false);
        broker.setSchedulerSupport(false);
        broker.getSystemUsage().getMemoryUsage().setLimit(512L << 20);
        broker.addConnector("tcp://127.0.0.1:" + port);
        broker.start();
        broker.waitUntilStarted();
        url = "tcp://127.0.0.1:" + port;
    }

    String url() {
        return url;
    }

    /** Publishes {@code n} persistent BytesMessages (asynchronous sends) and waits until the queue holds them all. */
    void publish(String queue, int n, IntFunction<byte[]> payload) throws Exception {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        f.setUseAsyncSend(true);
        try (Connection c = f.createConnection()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(s.createQueue(queue));
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < n; i++) {
                BytesMessage m = s.createBytesMessage();
                m.writeBytes(payload.apply(i));
                p.send(m);
            }
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (depth(queue) < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("queue " + queue + " holds " + depth(queue) + " of " + n);
            }
            Thread.sleep(10);
        }
    }

    long depth(String queue) throws Exception {
        Destination d = broker.getDestination(new ActiveMQQueue(queue));
        return d == null ? 0 : d.getDestinationStatistics().getMessages().getCount();
    }

    void delete(String queue) {
        try {
            broker.removeDestination(new ActiveMQQueue(queue));
        } catch (Exception e) {
            // best effort
        }
    }

    @Override
    public void close() throws Exception {
        broker.stop();
        broker.waitUntilStopped();
    }
}
