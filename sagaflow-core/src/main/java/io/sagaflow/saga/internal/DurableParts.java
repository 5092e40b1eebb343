package io.sagaflow.saga.internal;

import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * What the parts of one durable saga consumer share; created once by {@link DurableSagaConsumer}
 * when its clients exist. The consumer is the loop thread's alone (see {@link DurableLoop}).
 */
record DurableParts(
    String topic,
    String groupId,
    String journalTopic,
    String deadLetterTopic,
    KafkaConsumer<byte[], byte[]> consumer,
    JournalWriter writer,
    JournalRecorder recorder,
    JournalReader reader,
    JournalCommitter committer,
    DurableObservers observers,
    DurableStatus status) {}
