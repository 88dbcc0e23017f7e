package io.github.meterstream.activemq.internal;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.ActiveMQSslConnectionFactory;
import org.apache.activemq.RedeliveryPolicy;

/** Builds the client's connection factory from an {@link ActiveMqSourceConfig}. */
public final class ConnectionFactories {

    private ConnectionFactories() {
    }

    /**
     * A factory set up for per-message settlement that the broker confirms:
     * <ul>
     *   <li>acknowledgements are sent synchronously ({@code sendAcksAsync=false}), so an ack's stage
     *       completes only after the broker answered;</li>
     *   <li>every send is synchronous ({@code alwaysSyncSend}), so a retry or dead-letter copy is
     *       stored before the original is acknowledged;</li>
     *   <li>the client never poison-acks by itself ({@code maximumRedeliveries=-1}): a message that
     *       came back many times is still handed to the pipeline, which alone decides to dead-letter
     *       it (the client default would send it to {@code ActiveMQ.DLQ}, or drop it if non-persistent);</li>
     *   <li>the client's duplicate suppression is off ({@code checkForDuplicates=false}): after a
     *       failover it would poison-ack a message it believes it saw already, which sends it to
     *       {@code ActiveMQ.DLQ} although its first acknowledgement may have been ignored by the
     *       broker; the pipeline's idempotency store removes duplicates instead;</li>
     *   <li>no topic advisories are watched: the source uses none.</li>
     * </ul>
     */
    public static ActiveMQConnectionFactory create(ActiveMqSourceConfig config) {
        ActiveMQConnectionFactory factory;
        if (config.usesSslStores()) {
            ActiveMQSslConnectionFactory ssl = new ActiveMQSslConnectionFactory(config.brokerUrl());
            try {
                if (config.sslKeystore() != null) {
                    ssl.setKeyStoreType(config.sslKeystoreType());
                    ssl.setKeyStore(config.sslKeystore());
                    ssl.setKeyStorePassword(config.sslKeystorePassword());
                    ssl.setKeyStoreKeyPassword(config.sslKeyPassword());
                }
                if (config.sslTruststore() != null) {
                    ssl.setTrustStoreType(config.sslTruststoreType());
                    ssl.setTrustStore(config.sslTruststore());
                    ssl.setTrustStorePassword(config.sslTruststorePassword());
                }
            } catch (Exception e) {
                // setKeyStore only records the location; reading happens at connect time
                throw new IllegalStateException("cannot use the configured key or trust store: " + e.getMessage(), e);
            }
            factory = ssl;
        } else {
            factory = new ActiveMQConnectionFactory(config.brokerUrl());
        }
        factory.setSendAcksAsync(false);
        factory.setAlwaysSyncSend(true);
        factory.setWatchTopicAdvisories(false);
        factory.setCheckForDuplicates(false);
        RedeliveryPolicy redelivery = new RedeliveryPolicy();
        redelivery.setMaximumRedeliveries(RedeliveryPolicy.NO_MAXIMUM_REDELIVERIES);
        redelivery.setInitialRedeliveryDelay(0);
        factory.setRedeliveryPolicy(redelivery);
        ActiveMQPrefetchPolicy prefetch = new ActiveMQPrefetchPolicy();
        prefetch.setQueuePrefetch(config.prefetch());
        factory.setPrefetchPolicy(prefetch);
        return factory;
    }
}
