package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/** The properties of the processor's consumers and producers, built in one place. */
final class ClientProperties {
  private ClientProperties() {}

  /**
   * The consumer of poll loop {@code index}: the user's raw properties, plus what the processor
   * owns (bootstrap, group, no auto commit), earliest reset unless set, a client id per loop when
   * there are several, and {@code read_committed} in exactly-once mode unless set.
   */
  static Map<String, Object> consumer(ProcessorOptions<?, ?> options, int index) {
    Map<String, Object> props = new HashMap<>(options.kafkaProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Nothing is lost by default: a new group starts from the beginning unless the user says otherwise.
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Object clientId = options.kafkaProperties().get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (clientId != null && options.consumers() > 1) {
      props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-" + index);
    }
    if (options.isExactlyOnce()) {
      // Input written by transactional producers is read only once committed.
      props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
    return props;
  }

  /**
   * An idempotent {@code acks=all} producer of bytes (the one behind {@code ProcessorRecord.send});
   * transactional when {@code transactionalId} is set (then with the exactly-once transaction
   * timeout).
   */
  static Map<String, Object> producer(ProcessorOptions<?, ?> options, String transactionalId, String clientId) {
    Map<String, Object> props = new HashMap<>();
    // Security and client settings shared with the consumer (sasl.*, ssl.*, security.protocol).
    options.kafkaProperties().forEach((k, v) -> {
      if (k.startsWith("sasl.") || k.startsWith("ssl.") || k.equals("security.protocol")) {
        props.put(k, v);
      }
    });
    props.putAll(options.producerProperties());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          (int) options.exactlyOnce().transactionTimeout().toMillis());
    }
    return props;
  }
}
