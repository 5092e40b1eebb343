package io.sagaflow.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.DurableOptions;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;

/**
 * A JVM of {@code sagaflow chaos sagas}: a durable saga consumer that the orchestrator SIGKILLs,
 * or an echo participant that it leaves alone.
 *
 * <p>Arguments: role ({@code saga} or {@code echo}), bootstrap servers, start topic, request
 * topic, reply topic, output topic, group id, {@code session.timeout.ms} ({@code 0}: Kafka's
 * default), delay in milliseconds ({@code 0}: the three-step saga), and the saga JVM's stable instance id
 * ({@code -}: none, see {@code DurableOptions.withInstanceId}).
 *
 * <ul>
 *   <li>{@code saga}, delay 0: a durable consumer of the start topic running the three-step saga:
 *       it opens an action channel on the reply topic (before its first put, so no reply is
 *       missed), puts request 1, takes reply 1, puts request 2, takes reply 2, and puts its payload
 *       to the output topic.
 *   <li>{@code saga}, delay d: a durable consumer whose saga waits {@code ctx.delay(d)} and then
 *       puts its payload to the output topic.
 *   <li>{@code echo}: a plain saga consumer of the request topic answering each request with a
 *       reply of the same payload in the same (saga) transaction.
 * </ul>
 *
 * <p>Prints {@code READY} once its consumer holds partitions, then every second
 * {@code STATUS t=<epoch ms> resident=<sagas in memory> dead_letters=<n>}. A SIGTERM closes it.
 */
public final class ChaosSagaChildMain {
  private ChaosSagaChildMain() {}

  public static void main(String[] args) throws Exception {
    String role = args[0];
    String bootstrap = args[1];
    String start = args[2];
    String request = args[3];
    String reply = args[4];
    String output = args[5];
    String group = args[6];
    int sessionTimeoutMs = Integer.parseInt(args[7]);
    long delayMillis = Long.parseLong(args[8]);
    String instanceId = args.length > 9 && !args[9].equals("-") ? args[9] : null;

    SagaOptions options = SagaOptions.defaults().withBootstrapServers(bootstrap);
    if (sessionTimeoutMs > 0) {
      options = options.withKafkaProperty("session.timeout.ms", sessionTimeoutMs)
          .withKafkaProperty("heartbeat.interval.ms", Math.max(100, sessionTimeoutMs / 3));
    }
    SagaRuntime runtime = Sagas.runtime(options);
    SagaConsumer consumer;
    switch (role) {
      case "saga" -> {
        Saga<Integer> saga = delayMillis > 0 ? timerSaga(Duration.ofMillis(delayMillis), output)
            : threeStepSaga(request, reply, output);
        SagaConsumerOptions durable = instanceId == null ? SagaConsumerOptions.of(group).durable()
            : SagaConsumerOptions.of(group).withDurable(DurableOptions.defaults().withInstanceId(instanceId));
        consumer = runtime.consumer(start, Integer.class, saga, durable);
      }
      case "echo" -> {
        Saga<Integer> echo = (action, ctx) -> ctx.put(reply, action.payload());
        consumer = runtime.consumer(request, Integer.class, echo, SagaConsumerOptions.of(group).withMaxInFlight(2000));
      }
      default -> throw new IllegalArgumentException("role must be saga or echo, not " + role);
    }
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.close();
      runtime.close();
      closed.countDown();
    }));
    boolean ready = false;
    while (true) {
      if (!ready && consumer.isAssigned()) {
        ready = true;
        System.out.println("READY");
      }
      System.out.printf(Locale.ROOT, "STATUS t=%d resident=%d dead_letters=%d%n", System.currentTimeMillis(),
          consumer.residentSagas(), consumer.deadLetters());
      System.out.flush();
      if (closed.await(ready ? 1000 : 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  /** put request 1, take reply 1, put request 2, take reply 2, put output; replies read from a channel. */
  static Saga<Integer> threeStepSaga(String request, String reply, String output) {
    return (action, ctx) -> {
      ActionChannel<Integer> replies = ctx.actionChannel(ActionPattern.of(reply, Integer.class));
      for (int step = 1; step <= 2; step++) {
        ctx.put(request, step);
        while (ctx.take(replies).payload() != step) {
          // a reply to an earlier step (the echo answered twice): not this step's
        }
      }
      ctx.put(output, action.payload());
    };
  }

  static Saga<Integer> timerSaga(Duration delay, String output) {
    return (action, ctx) -> {
      ctx.delay(delay);
      ctx.put(output, action.payload());
    };
  }
}
