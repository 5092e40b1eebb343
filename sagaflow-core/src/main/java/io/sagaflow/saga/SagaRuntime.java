package io.sagaflow.saga;

import io.sagaflow.saga.internal.EffectRecorder;
import io.sagaflow.saga.internal.SagaEngine;
import io.sagaflow.saga.internal.SagaRunner;
import io.sagaflow.saga.internal.Timer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Runs sagas: the effect interpreter with its middleware, a publisher for puts and one shared reply
 * consumer for takes and channels. Create one per application with {@link Sagas#runtime} and close
 * it on shutdown.
 *
 * <pre>{@code
 * try (SagaRuntime runtime = Sagas.runtime(SagaOptions.defaults()
 *     .withCluster(ClusterOptions.of("main", "localhost:9092")))) {
 *   String tx = runtime.start("ORDER_PLACED", order);           // a new transaction
 *   runtime.run(orderSaga, Order.class, record).join();         // one run per input record
 * }
 * }</pre>
 */
public final class SagaRuntime implements AutoCloseable {
  private final SagaOptions options;
  private final ActionPublisher publisher;
  private final ActionSource source;
  private final ActionCodec codec;
  private final SagaRunner runner;
  private final io.sagaflow.saga.internal.SystemTimer timer;
  private final java.util.List<SagaConsumer> consumers = new java.util.concurrent.CopyOnWriteArrayList<>();

  SagaRuntime(SagaOptions options, ActionPublisher publisher, ActionSource source, ActionCodec codec) {
    this.options = options;
    this.publisher = publisher;
    this.source = source;
    this.codec = codec;
    this.timer = Timer.system();
    var observers = new io.sagaflow.saga.internal.Observers(options.metrics(), options.tracing());
    SagaEngine engine = new SagaEngine(options.middleware(), publisher, source, timer, EffectRecorder.PASS_THROUGH,
        codec, options.channelCapacity(), io.sagaflow.saga.internal.Activity.NONE, observers);
    this.runner = new SagaRunner(engine, timer, options.sagaTimeout(), options.contextFactory(), observers);
    options.metrics().open(runner::running);
  }

  /**
   * Runs {@code saga} on an input record: decodes it (payload converted to {@code payloadType}) and
   * runs the saga on a virtual thread. The future completes when the saga ends; exceptionally with
   * {@link ActionDecodingException} when the record is not an action (nothing ran), with the saga's
   * exception, or with a {@link java.util.concurrent.TimeoutException} when it exceeded
   * {@link SagaOptions#sagaTimeout()} and was cancelled.
   */
  public <P> CompletableFuture<Void> run(Saga<P> saga, Class<P> payloadType, ConsumerRecord<byte[], byte[]> record) {
    return runner.run(saga, payloadType, record);
  }

  /** Runs {@code saga} on an action that did not come from a record (tests, HTTP). */
  public <P> CompletableFuture<Void> run(Saga<P> saga, Action<P> action) {
    return runner.run(saga, action, null);
  }

  /**
   * Starts a new transaction: puts {@code payload} to {@code topic} with a newly generated
   * transaction id and returns the id once the broker acknowledged.
   */
  public String start(String topic, Object payload) {
    return start(topic, payload, Map.of());
  }

  /** Starts a new transaction with headers. */
  public String start(String topic, Object payload, Map<String, byte[]> headers) {
    String transactionId = options.transactionIds().get();
    try {
      publisher.publish(new Action<>(topic, transactionId, payload, headers)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SagaCancelledException("interrupted while starting a transaction on " + topic);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot start a transaction on " + topic + ": " + e.getCause(), e.getCause());
    }
    return transactionId;
  }

  /**
   * Runs {@code saga} for every action on {@code topic} on a {@link io.sagaflow.processor.Processor}
   * of this runtime's Kafka properties: actions of one transaction in order, transactions
   * concurrently (up to {@link SagaConsumerOptions#maxInFlight()}), the input offset committed
   * once its saga finished, failures to the dead-letter topic; see {@link SagaConsumer}.
   *
   * <p>With {@link SagaConsumerOptions#durable()} the sagas are journaled instead: the input offset
   * is committed once a saga's start is journaled, its puts are written exactly once (in the
   * transaction that journals them), and a saga survives a crash and resumes on the group's next
   * owner of its partition. A durable saga has no {@link SagaOptions#sagaTimeout()}: it may wait
   * for days.
   */
  public <P> SagaConsumer consumer(String topic, Class<P> payloadType, Saga<P> saga, SagaConsumerOptions consumerOptions) {
    java.util.Objects.requireNonNull(topic, "topic");
    java.util.Objects.requireNonNull(consumerOptions, "consumerOptions");
    if (options.cluster() == null) {
      throw new IllegalStateException("this runtime has no Kafka cluster (SagaOptions.withCluster); a saga consumer"
          + " needs Kafka");
    }
    SagaConsumer consumer;
    if (consumerOptions.isDurable()) {
      var env = new io.sagaflow.saga.internal.DurableSagaConsumer.Environment(options.middleware(), source, codec,
          timer, options.channelCapacity(), options.contextFactory(), runner.observers());
      consumer = new io.sagaflow.saga.internal.DurableSagaConsumer<>(options.cluster(), options.kafkaProperties(),
          topic, payloadType, saga, consumerOptions, env, options.topicAdministrator());
    } else {
      consumer = new io.sagaflow.saga.internal.ProcessorSagaConsumer<>(options.cluster(), options.kafkaProperties(),
          topic, payloadType, saga, consumerOptions, runner, options.topicAdministrator());
    }
    consumers.add(consumer);
    return consumer;
  }

  /**
   * The simplest saga consumer: {@link SagaConsumerOptions#of(String) defaults} for {@code groupId},
   * dead letters to {@code <topic>-dlt}.
   *
   * <pre>{@code
   * SagaConsumer kitchen = runtime.consumer("PIZZA_CREATE", Pizza.class, kitchenSaga, "kitchen");
   * }</pre>
   *
   * @throws IllegalStateException when {@code topic} does not exist and the runtime has no topic
   *     administrator ({@link SagaOptions#withTopicAdministrator}) to create it
   */
  public <P> SagaConsumer consumer(String topic, Class<P> payloadType, Saga<P> saga, String groupId) {
    return consumer(topic, payloadType, saga, SagaConsumerOptions.of(groupId));
  }

  /** The wire codec. */
  public ActionCodec codec() {
    return codec;
  }

  /** The number of sagas running. */
  public int running() {
    return runner.running();
  }

  /**
   * Closes this runtime's saga consumers (they drain and commit), cancels the sagas still running
   * and waits up to 10 seconds for them to end, then closes the reply consumer and the publisher.
   */
  @Override
  public void close() {
    consumers.forEach(SagaConsumer::close);
    runner.cancelAll();
    try {
      runner.awaitIdle(java.time.Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      source.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the saga action source failed: " + e, e);
    } finally {
      timer.close();
      options.metrics().close();
      try {
        publisher.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the saga publisher failed: " + e, e);
      }
    }
  }
}
