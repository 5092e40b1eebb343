package io.sagaflow.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaConsumer;
import io.sagaflow.saga.SagaConsumerOptions;
import io.sagaflow.saga.SagaOptions;
import io.sagaflow.saga.SagaRuntime;
import io.sagaflow.saga.Sagas;
import picocli.CommandLine;

/**
 * {@code sagaflow sagas list|show} against real durable sagas: one waits for a reply, one
 * completed, one failed; plus a journal record that does not decode.
 */
@ExtendWith(LeakCheck.class)
class SagasCommandTest {
  private static EmbeddedKafka kafka;
  private static SagaRuntime runtime;
  private static SagaConsumer consumer;
  private static String waiting;
  private static String completed;
  private static String failed;

  /** The kitchen: waits for the oven's reply, bakes at once, or refuses (fails). */
  static final class Kitchen implements Saga<JsonNode> {
    @Override
    public void run(io.sagaflow.saga.Action<JsonNode> action, io.sagaflow.saga.SagaContext ctx) {
      String pizza = action.payload().path("pizza").asText();
      ctx.put("oven-requests", action.payload());
      switch (pizza) {
        case "pineapple" -> throw new IllegalStateException("the oven refuses pineapple");
        case "calzone" -> ctx.put("pizzas-done", ctx.take("oven-replies").payload());
        default -> ctx.put("pizzas-done", pizza);
      }
    }
  }

  @BeforeAll
  static void runSagas() {
    kafka = EmbeddedKafka.start();
    for (String t : new String[] {"pizza-orders", "oven-requests", "oven-replies", "pizzas-done", "pizza-orders-dlt"}) {
      kafka.createTopic(t, 1);
    }
    runtime = Sagas.runtime(SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers()));
    consumer = runtime.consumer("pizza-orders", JsonNode.class, new Kitchen(),
        SagaConsumerOptions.of("kitchen").durable().withDrainTimeout(Duration.ofSeconds(5)));
    waiting = runtime.start("pizza-orders", Map.of("pizza", "calzone"));
    completed = runtime.start("pizza-orders", Map.of("pizza", "margherita"));
    failed = runtime.start("pizza-orders", Map.of("pizza", "pineapple"));
    // A record no journal codec reads, in a journal topic of its own.
    kafka.createTopic("broken-saga-journal", 1);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>("broken-saga-journal", "bad-run".getBytes(UTF_8), "{\"v\":99}".getBytes(UTF_8)));
    }
  }

  @AfterAll
  static void stop() {
    consumer.close();
    runtime.close();
    kafka.close();
  }

  private static SagaflowCliTest.Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = SagaflowCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new SagaflowCliTest.Run(code, out.toString(), err.toString());
  }

  private static String line(String out, String tx) {
    return out.lines().filter(l -> l.startsWith(tx)).findFirst().orElse("");
  }

  @Test
  void listShowsEachSagaWithItsStatusAndWhatItWaitsFor_andFilters() {
    String b = kafka.bootstrapServers();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String out = run("sagas", "list", "--bootstrap-servers", b).out();
      assertThat(line(out, waiting)).contains("pizza-orders", "waiting", "an action on oven-replies");
      assertThat(line(out, completed)).contains("pizza-orders", "completed");
      assertThat(line(out, failed)).contains("pizza-orders", "failed");
    });
    SagaflowCliTest.Run all = run("sagas", "list", "--bootstrap-servers", b);
    assertThat(all.exitCode()).as(all.err()).isZero();
    assertThat(all.out()).contains("TRANSACTION", "WAITING FOR", "bad-run", "malformed", "format version 99",
        "4 of 4 runs in broken-saga-journal, kitchen-saga-journal");

    SagaflowCliTest.Run onlyWaiting = run("sagas", "list", "--status", "waiting", "--bootstrap-servers", b);
    assertThat(onlyWaiting.out()).contains(waiting).doesNotContain(completed, failed, "bad-run");
    SagaflowCliTest.Run byTopic = run("sagas", "list", "--topic", "pizza-orders", "--saga", "pizza-orders",
        "--bootstrap-servers", b);
    assertThat(byTopic.out()).contains(waiting, completed, failed, "3 of 4 runs").doesNotContain("bad-run");
    SagaflowCliTest.Run badStatus = run("sagas", "list", "--status", "sleeping", "--bootstrap-servers", b);
    assertThat(badStatus.exitCode()).isEqualTo(2);
    assertThat(badStatus.err()).contains("--status sleeping is not one of running, waiting, compensating");
  }

  @Test
  void showPrintsTheTimelineInOrderWithResultsErrorsAndWhatIsPending() {
    String b = kafka.bootstrapServers();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(run("sagas", "show", failed, "--bootstrap-servers", b).out()).contains("failed"));

    SagaflowCliTest.Run w = run("sagas", "show", waiting, "--bootstrap-servers", b);
    assertThat(w.exitCode()).as(w.err()).isZero();
    assertThat(w.out()).contains("pizza-orders  waiting  " + waiting, "calzone",
        "waiting for an action on oven-replies");
    assertThat(w.out().indexOf(" put ")).as("the put comes before the take").isPositive()
        .isLessThan(w.out().indexOf(" take "));

    SagaflowCliTest.Run f = run("sagas", "show", failed, "--bootstrap-servers", b);
    assertThat(f.out()).contains("error  ", "the oven refuses pineapple", " put ").doesNotContain("waiting for");

    SagaflowCliTest.Run c = run("sagas", "show", completed, "--bootstrap-servers", b);
    assertThat(c.out()).contains("completed", "margherita").doesNotContain("waiting for");
    assertThat(c.out().lines().filter(l -> l.contains(" put ")).count()).as("two puts").isEqualTo(2);

    SagaflowCliTest.Run bad = run("sagas", "show", "bad-run", "--bootstrap-servers", b);
    assertThat(bad.out()).contains("malformed", "format version 99", "cannot be decoded");
  }

  @Test
  void anUnknownTransactionAndAnUnreachableBrokerSayWhatToDo() {
    SagaflowCliTest.Run unknown = run("sagas", "show", "no-such-tx", "--bootstrap-servers", kafka.bootstrapServers());
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("no saga with transaction id no-such-tx in the journal topics",
        "sagaflow sagas list");

    long t0 = System.nanoTime();
    SagaflowCliTest.Run down = run("sagas", "list", "--bootstrap-servers", "127.0.0.1:1");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(25));
    assertThat(down.exitCode()).isEqualTo(1);
    assertThat(down.err()).contains("127.0.0.1:1", "--bootstrap-servers");
  }
}
