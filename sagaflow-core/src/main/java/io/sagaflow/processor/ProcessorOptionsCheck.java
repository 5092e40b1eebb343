package io.sagaflow.processor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Validation of {@link ProcessorOptions}, run on every new value: each check names the setting, the
 * value and what to do instead. Conflicts between settings are named here too.
 */
final class ProcessorOptionsCheck {
  private static final List<String> OWNED_CONSUMER_KEYS = List.of(
      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
      ConsumerConfig.GROUP_ID_CONFIG,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
      ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
  private static final List<String> OWNED_PRODUCER_KEYS = List.of(
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
      ProducerConfig.TRANSACTIONAL_ID_CONFIG,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

  private ProcessorOptionsCheck() {}

  static void validate(ProcessorOptions<?, ?> o) {
    Objects.requireNonNull(o.cluster(), "cluster");
    requireText(o.groupId(), "groupId");
    for (String t : o.topics()) {
      requireText(t, "topic name");
    }
    if (!o.topics().isEmpty() && o.topicPattern() != null) {
      throw new IllegalArgumentException(
          "topics " + o.topics() + " and topicPattern (" + o.topicPattern()
              + ") are both set: subscribe with one of withTopics(...) or withTopicPattern(...)");
    }
    Objects.requireNonNull(o.ordering(), "ordering");
    positive(o.maxInFlight(), "maxInFlight");
    positive(o.maxInFlightPerPartition(), "maxInFlightPerPartition");
    positive(o.maxBufferedBytes(), "maxBufferedBytes");
    Objects.requireNonNull(o.commitStrategy(), "commitStrategy");
    requirePositive(o.commitInterval(), "commitInterval");
    requireNonNegative(o.shutdownTimeout(), "shutdownTimeout");
    requireNonNegative(o.rebalanceTimeout(), "rebalanceTimeout");
    positive(o.consumers(), "consumers");
    Objects.requireNonNull(o.keyDeserializer(), "keyDeserializer");
    Objects.requireNonNull(o.valueDeserializer(), "valueDeserializer");
    for (String owned : OWNED_CONSUMER_KEYS) {
      if (o.kafkaProperties().containsKey(owned)) {
        throw new IllegalArgumentException(
            "Kafka property '" + owned + "' is owned by the processor: "
                + "use the typed option (cluster, groupId, keyDeserializer/valueDeserializer) "
                + "or the commit strategy instead of passing it as a raw property");
      }
    }
    Objects.requireNonNull(o.failureHandler(), "failureHandler");
    Objects.requireNonNull(o.metrics(), "metrics (use ProcessorMetrics.none() for none)");
    positive(o.publisherPrefetch(), "publisherPrefetch");
    if (o.offsetMetadataMaxChars() < 32) {
      throw new IllegalArgumentException("offsetMetadataMaxChars (" + o.offsetMetadataMaxChars()
          + ") must be at least 32; keep it under the broker's offset.metadata.max.bytes (default 4096)");
    }
    for (String owned : OWNED_PRODUCER_KEYS) {
      if (o.producerProperties().containsKey(owned)) {
        throw new IllegalArgumentException("producer property '" + owned + "' is owned by the processor: "
            + "the producer uses the processor's cluster, byte[] serializers and, in exactly-once "
            + "mode, a transactional id built from ExactlyOnce.transactionalIdPrefix()");
      }
    }
    requirePositive(o.connectionTimeout(), "connectionTimeout");
    requirePositive(o.stallAlarmAfter(), "stallAlarmAfter");
    if (o.instanceId() != null) {
      requireText(o.instanceId(), "instanceId");
      if (o.kafkaProperties().containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
        throw new IllegalArgumentException("instanceId (" + o.instanceId() + ") and the Kafka property '"
            + ConsumerConfig.GROUP_INSTANCE_ID_CONFIG + "' are both set: use withInstanceId(...) only (it gives"
            + " each consumer of the processor an id of its own)");
      }
    }
    if (o.isExactlyOnce() && o.commitStrategy() == CommitStrategy.AT_MOST_ONCE) {
      throw new IllegalArgumentException("exactly-once mode commits offsets with the handlers' output in "
          + "one transaction, after handling; AT_MOST_ONCE commits before handling and drops failed records: "
          + "choose one (remove withExactlyOnce(...) or withCommitStrategy(AT_MOST_ONCE))");
    }
    if (o.isExactlyOnce()
        && (o.commitStrategy() == CommitStrategy.MANUAL || o.commitStrategy() == CommitStrategy.NONE)) {
      throw new IllegalArgumentException("exactly-once mode commits offsets inside its transactions; the "
          + "commit strategy " + o.commitStrategy() + " cannot be combined with it: leave the default");
    }
  }

  private static void requireText(String s, String name) {
    if (s == null || s.isBlank()) {
      throw new IllegalArgumentException(name + " (" + (s == null ? "null" : "'" + s + "'") + ") must be a non-blank string");
    }
  }

  private static void positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " (" + value + ") must be positive");
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " (" + d + ") must be positive");
    }
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " (" + d + ") must not be negative");
    }
  }

}
