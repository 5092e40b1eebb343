package io.sagaflow.saga.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;

/**
 * What all logical threads of one saga run share: the input record, the user context, the logger,
 * and the action channels the run opened (closed when the run ends).
 */
final class RunState {
  final ConsumerRecord<byte[], byte[]> record;
  final Object userContext;
  final Logger logger;
  private final List<ActionChannelImpl<?>> channels = new ArrayList<>();

  RunState(ConsumerRecord<byte[], byte[]> record, Object userContext, Logger logger) {
    this.record = record;
    this.userContext = userContext;
    this.logger = logger;
  }

  synchronized void register(ActionChannelImpl<?> channel) {
    channels.add(channel);
  }

  synchronized void closeChannels() {
    channels.forEach(ActionChannelImpl::close);
    channels.clear();
  }
}
