package io.sagaflow.processor.internal;

import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.processor.ProcessorOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The properties of the processor's consumers and producers. Connection, security and the client
 * id policy come from the one client factory ({@link KafkaClients}) and the processor's cluster;
 * this class adds only what the processor owns.
 */
final class ClientProperties {
  private ClientProperties() {}

  /**
   * The consumer of poll loop {@code index}: the user's raw properties, plus what the processor
   * owns (group, no auto commit), earliest reset unless set, a client id per loop when the user set
   * one and there are several loops, and {@code read_committed} in exactly-once mode unless set.
   */
  static Map<String, Object> consumer(ProcessorOptions<?, ?> options, int index) {
    Map<String, Object> overrides = new HashMap<>(options.kafkaProperties());
    overrides.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    overrides.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Nothing is lost by default: a new group starts from the beginning unless the user says otherwise.
    overrides.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Object clientId = options.kafkaProperties().get(ConsumerConfig.CLIENT_ID_CONFIG);
    if (clientId != null && options.consumers() > 1) {
      overrides.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-" + index);
    }
    if (options.instanceId() != null) {
      // Static membership: a restarted instance takes its partitions back without a rebalance.
      overrides.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, options.instanceId() + "-" + index);
    }
    if (options.isExactlyOnce()) {
      // Input written by transactional producers is read only once committed.
      overrides.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
    return KafkaClients.consumerProperties(options.cluster(), "consumer-" + options.groupId(), overrides);
  }

  /**
   * An idempotent {@code acks=all} producer of bytes (the one behind {@code ProcessorRecord.send});
   * transactional when {@code transactionalId} is set (then with the exactly-once transaction
   * timeout). {@code clientId}, when not null, is used unless the user's producer properties set
   * one; else the factory's policy names the producer.
   */
  static Map<String, Object> producer(ProcessorOptions<?, ?> options, String transactionalId, String clientId) {
    Map<String, Object> overrides = new HashMap<>(options.producerProperties());
    if (clientId != null) {
      overrides.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    }
    if (transactionalId != null) {
      overrides.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      overrides.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          (int) options.exactlyOnce().transactionTimeout().toMillis());
    }
    return KafkaClients.producerProperties(options.cluster(), "producer-" + options.groupId(), overrides);
  }
}
