package io.sagaflow.processor;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A record whose processing (or deserialization) failed; {@code attempt} starts at 1. */
public record FailedRecord(ConsumerRecord<byte[], byte[]> raw, Throwable error, int attempt, String groupId) {}
