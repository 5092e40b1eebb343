package io.sagaflow.processor.internal;

import io.sagaflow.kafka.internal.KafkaClients;
import io.sagaflow.processor.ProcessorOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Builds the producers behind {@code ProcessorRecord.send}, through the one client factory ({@link
 * KafkaClients}): connection and security come from the processor's cluster, tuning from {@link
 * ProcessorOptions#producerProperties()}.
 */
final class Producers {
  private Producers() {}

  /**
   * An idempotent {@code acks=all} producer of bytes; transactional when {@code transactionalId} is
   * set (then with the exactly-once transaction timeout and the transactional id as client id).
   */
  static KafkaProducer<byte[], byte[]> create(ProcessorOptions<?, ?> options, String transactionalId, String clientId) {
    Map<String, Object> overrides = new HashMap<>(options.producerProperties());
    if (transactionalId != null) {
      overrides.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          (int) options.exactlyOnce().transactionTimeout().toMillis());
      overrides.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
      return KafkaClients.transactionalProducer(options.cluster(), transactionalId, overrides);
    }
    return KafkaClients.producer(options.cluster(), clientId, overrides);
  }
}
