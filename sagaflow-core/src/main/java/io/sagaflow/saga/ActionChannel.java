package io.sagaflow.saga;

import java.util.List;

/**
 * A buffer of this transaction's actions on some topics, opened with
 * {@link SagaContext#actionChannel}. Actions are buffered from the moment the channel is opened;
 * {@link SagaContext#take(ActionChannel)} returns the oldest. Channels are closed when their saga
 * ends; close one earlier to stop buffering.
 *
 * @param <P> the payload type
 */
public interface ActionChannel<P> extends AutoCloseable {

  /** The topics this channel buffers. */
  List<String> topics();

  /** The number of buffered actions. */
  int size();

  /** Stops buffering; later takes fail with {@link IllegalStateException}. Idempotent. */
  @Override
  void close();
}
