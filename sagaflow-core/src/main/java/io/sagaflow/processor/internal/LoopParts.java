package io.sagaflow.processor.internal;

import io.sagaflow.processor.ProcessorOptions;
import org.apache.kafka.clients.consumer.Consumer;

/** What the parts of one poll loop share; created once the loop's consumer exists. */
record LoopParts<K, V>(
    String name,
    ProcessorRuntime<K, V> runtime,
    ProcessorOptions<K, V> options,
    Consumer<byte[], byte[]> consumer,
    Assignment assignment,
    LoopStatus status,
    Metrics metrics,
    Ticker ticker,
    KafkaClientFactory clients) {}
