package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorOptions;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Builds the producers behind {@code ProcessorRecord.send}. */
final class Producers {
  private Producers() {}

  /**
   * An idempotent {@code acks=all} producer of bytes; transactional when {@code transactionalId} is
   * set (then with the exactly-once transaction timeout).
   */
  static KafkaProducer<byte[], byte[]> create(ProcessorOptions<?, ?> options, String transactionalId, String clientId) {
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
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
