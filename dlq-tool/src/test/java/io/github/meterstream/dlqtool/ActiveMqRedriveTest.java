package io.github.meterstream.dlqtool;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.activemq.ActiveMqSourceFactory;
import io.github.meterstream.activemq.EmbeddedActiveMqBroker;
import io.github.meterstream.core.source.BrokerSourceFactory;
import org.apache.activemq.ActiveMQConnectionFactory;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.jms.Connection;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import java.net.URI;
import java.util.Collections;
import java.util.Map;

/** Against a real ActiveMQ Classic broker in this JVM, over TCP on 127.0.0.1. */
@DisplayName("meterstream-dlq on ActiveMQ")
class ActiveMqRedriveTest extends RedriveKit {

    @RegisterExtension
    static final EmbeddedActiveMqBroker BROKER = new EmbeddedActiveMqBroker();

    @Override
    BrokerSourceFactory factory() {
        return new ActiveMqSourceFactory();
    }

    private TcpFaultProxy proxy;

    @BeforeEach
    void proxy() throws Exception {
        proxy = new TcpFaultProxy("127.0.0.1", URI.create(BROKER.tcpUrl()).getPort());
    }

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    @Override
    Map<String, String> sourceKeys(boolean faulty) {
        return Map.of("broker-url", faulty ? "tcp://127.0.0.1:" + proxy.port() : BROKER.tcpUrl(), "queue", queue);
    }

    @Override
    void interrupt(Thread tool) {
        proxy.cut();
    }

    @Override
    void publish(String q, byte[] payload) throws Exception {
        BROKER.publish(q, payload, Map.of());
    }

    @Override
    long waitingDeadLetters() throws Exception {
        String q = queue + ActiveMqSourceConfig.DEAD_LETTER_SUFFIX;
        Connection c = new ActiveMQConnectionFactory(BROKER.tcpUrl()).createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            try (QueueBrowser b = s.createBrowser(s.createQueue(q))) {
                return Collections.list(b.getEnumeration()).size();
            }
        } finally {
            c.close();
        }
    }
}
