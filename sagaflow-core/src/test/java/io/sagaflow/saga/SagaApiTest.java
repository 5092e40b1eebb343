package io.sagaflow.saga;

import io.sagaflow.embedded.LeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The saga API's conveniences against a real broker: typed context, multi-argument calls with
 * their checked exceptions, typed all and race, typed and text payloads.
 */
@SuppressWarnings("try") // consumers in try-with-resources run by themselves
@ExtendWith(LeakCheck.class)
class SagaApiTest {
  private static EmbeddedKafka kafka;
  private static final AtomicInteger UNIQUE = new AtomicInteger();
  private String prefix;

  /** A payload type of the tests. */
  public record Order(String id, String item, int quantity) {}

  /** A user context of the tests. */
  record Deps(String tenant, String orderId) {}

  /** A checked exception a called function throws. */
  static final class PaymentDeclined extends Exception {
    private static final long serialVersionUID = 1L;

    PaymentDeclined(String message) {
      super(message);
    }
  }

  static String charge(String card, Integer cents) throws PaymentDeclined {
    if (card.startsWith("0000")) {
      throw new PaymentDeclined("card " + card + " declined for " + cents);
    }
    return "receipt-" + card + "-" + cents;
  }

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @BeforeEach
  void names(TestInfo info) {
    prefix = info.getTestMethod().orElseThrow().getName() + "-" + UNIQUE.incrementAndGet() + "-";
  }

  private static SagaOptions options() {
    return SagaOptions.defaults().withKafkaProperty("bootstrap.servers", kafka.bootstrapServers());
  }

  private String topic(String name) {
    String t = prefix + name;
    kafka.createTopic(t, 1);
    return t;
  }

  private static List<Action<JsonNode>> readActions(SagaRuntime runtime, String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<Action<JsonNode>> actions = new ArrayList<>();
      await("" + expected + " actions on " + topic).atMost(Duration.ofSeconds(60)).pollInSameThread().until(() -> {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          actions.add(runtime.codec().decode(r));
        }
        return actions.size() >= expected;
      });
      return actions;
    }
  }

  @Test
  void aConsumerSagaGetsItsTypedContextBuiltFromTheAction() throws Exception {
    String in = topic("IN");
    String out = topic("OUT");
    Saga<Order> saga = Saga.withContext(
        action -> new Deps(action.header("tenant"), action.payload().id()),
        (action, ctx, deps) -> ctx.put(out, deps.tenant() + "/" + deps.orderId() + "/" + action.payload().item()));
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(in, Order.class, saga,
            SagaConsumerOptions.of(prefix + "group", topic("DLT")))) {
      String tx = runtime.start(in, new Order("o-7", "margherita", 2),
          Map.of("tenant", "acme".getBytes(StandardCharsets.UTF_8)));
      List<Action<JsonNode>> puts = readActions(runtime, out, 1);
      assertThat(puts.get(0).transactionId()).isEqualTo(tx);
      assertThat(puts.get(0).payload().textValue()).isEqualTo("acme/o-7/margherita");
    }
  }

  @Test
  void aFailingContextFunctionFailsTheRunNamingTheAction() {
    Saga<Order> saga = Saga.withContext(action -> {
      throw new IllegalArgumentException("no tenant");
    }, (action, ctx, deps) -> ctx.put("never", deps));
    try (SagaRuntime runtime = Sagas.runtime(options())) {
      assertThatThrownBy(() -> runtime.run(saga, Action.of("ORDERS", "tx-ctx", new Order("o", "x", 1))).join())
          .isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("ORDERS transaction tx-ctx").hasMessageContaining("no tenant");
    }
  }

  @Test
  void callTakesSeveralArgumentsAndRethrowsTheFunctionsCheckedExceptionAsThrown() throws Exception {
    String out = topic("OUT");
    List<List<Object>> seenArgs = new CopyOnWriteArrayList<>();
    SagaOptions options = options().withMiddleware(chain -> {
      if (chain.effect() instanceof Call<?> call) {
        seenArgs.add(call.args());
      }
      return chain.proceed(chain.effect());
    });
    Saga<JsonNode> saga = (action, ctx) -> {
      String receipt = ctx.call(SagaApiTest::charge, "4242", 1250);
      int sum = ctx.call((Integer a, Integer b, Integer c) -> a + b + c, 1, 2, 3);
      try {
        ctx.call("charge", SagaApiTest::charge, "0000-1", 99);
        ctx.put(out, "not declined");
      } catch (PaymentDeclined e) { // the very exception, no SagaException around it
        ctx.put(out, receipt + "|" + sum + "|" + e.getMessage());
      }
    };
    try (SagaRuntime runtime = Sagas.runtime(options)) {
      runtime.run(saga, Action.of("ORDERS", "tx-call", (JsonNode) null)).get(60, TimeUnit.SECONDS);
      assertThat(readActions(runtime, out, 1).get(0).payload().textValue())
          .isEqualTo("receipt-4242-1250|6|card 0000-1 declined for 99");
    }
    assertThat(seenArgs).containsExactly(List.of("4242", 1250), List.of(1, 2, 3), List.of("0000-1", 99));
  }

  @Test
  void aCheckedExceptionThrownByAMiddlewareAroundACallStaysWrapped() {
    SagaOptions options = options().withMiddleware(chain -> {
      if (chain.effect() instanceof Call<?>) {
        throw new java.io.IOException("audit log unavailable");
      }
      return chain.proceed(chain.effect());
    });
    Saga<JsonNode> saga = (action, ctx) -> {
      try {
        ctx.call(SagaApiTest::charge, "4242", 1);
      } catch (PaymentDeclined e) {
        throw new AssertionError("the middleware's exception is not the function's", e);
      }
    };
    try (SagaRuntime runtime = Sagas.runtime(options)) {
      assertThatThrownBy(() -> runtime.run(saga, Action.of("ORDERS", "tx-mw", (JsonNode) null)).join())
          .cause().isInstanceOf(SagaException.class)
          .cause().isInstanceOf(java.io.IOException.class).hasMessage("audit log unavailable");
    }
  }

  @Test
  void aCheckedExceptionOfACallInsideAllComesWrappedAndUnwrapsInOneCall() {
    Saga<JsonNode> saga = (action, ctx) -> {
      try {
        ctx.all(Branch.of("pay", Effects.call(SagaApiTest::charge, "0000-2", 5)),
            Branch.of("wait", Effects.delay(Duration.ofSeconds(30))));
      } catch (SagaException e) {
        throw (PaymentDeclined) e.getCause();
      }
    };
    try (SagaRuntime runtime = Sagas.runtime(options())) {
      assertThatThrownBy(() -> runtime.run(saga, Action.of("ORDERS", "tx-all", (JsonNode) null)).join())
          .cause().isInstanceOf(PaymentDeclined.class).hasMessage("card 0000-2 declined for 5");
    }
  }

  @Test
  void raceAndAllResultsAreReadTypedByBranch() throws Exception {
    String request = topic("REQUEST");
    String reply = topic("REPLY");
    String out = topic("OUT");
    Saga<JsonNode> responder = (action, ctx) ->
        ctx.put(reply, new Order(action.payload().textValue(), "pizza", 3));
    Saga<JsonNode> saga = (action, ctx) -> {
      ActionChannel<Order> replies = ctx.actionChannel(reply, Order.class);
      ctx.put(request, "o-1");
      Branch<Action<Order>> got = Branch.of("reply", Effects.take(replies));
      Branch<Void> timeout = Branch.of("timeout", Effects.delay(Duration.ofSeconds(60)));
      RaceResult r = ctx.race(got, timeout);
      Order order = r.value(got).payload(); // typed: no cast
      Branch<String> receipt = Branch.of("receipt", Effects.call(SagaApiTest::charge, "4242", order.quantity()));
      Branch<Integer> later = Branch.of("later", Effects.delay(Duration.ofMillis(1), 42));
      AllResult all = ctx.all(receipt, later);
      String text = all.get(receipt);
      int number = all.get(later);
      ctx.put(out, r.won(got) + "|" + r.won(timeout) + "|" + order.id() + "|" + text + "|" + number);
    };
    try (SagaRuntime runtime = Sagas.runtime(options());
        SagaConsumer consumer = runtime.consumer(request, JsonNode.class, responder,
            SagaConsumerOptions.of(prefix + "responder", topic("DLT")))) {
      runtime.run(saga, Action.of("ORDERS", "tx-race", (JsonNode) null)).get(60, TimeUnit.SECONDS);
      assertThat(readActions(runtime, out, 1).get(0).payload().textValue())
          .isEqualTo("true|false|o-1|receipt-4242-3|42");
    }
  }

  @Test
  void readingTheValueOfALosingBranchSaysToCheckWonFirst() {
    Branch<Void> a = Branch.of("a", Effects.delay(Duration.ZERO));
    Branch<Void> b = Branch.of("b", Effects.delay(Duration.ZERO));
    RaceResult r = new RaceResult("a", 0, null);
    assertThatThrownBy(() -> r.value(b)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("check won(branch)");
    assertThat(r.won(a)).isTrue();
    assertThatThrownBy(() -> Effects.race(a, Branch.of("a", Effects.delay(Duration.ZERO))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two branches are named a");
    assertThatThrownBy(() -> new AllResult(Map.of("a", 1)).get(b)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("branch b was not part of this all");
  }

  @Test
  void payloadsAreTypedAndATextPayloadReadAsStringIsItsText() throws Exception {
    String orders = topic("ORDERS");
    String notes = topic("NOTES");
    String out = topic("OUT");
    CompletableFuture<Action<Order>> typed = new CompletableFuture<>();
    Saga<JsonNode> saga = (action, ctx) -> {
      ActionChannel<Order> orderChannel = ctx.actionChannel(orders, Order.class);
      ActionChannel<String> noteChannel = ctx.actionChannel(notes, String.class);
      ctx.put(out, "listening");
      typed.complete(ctx.take(orderChannel));
      String text = ctx.take(noteChannel).payload();
      String json = ctx.take(noteChannel).payload();
      ctx.put(out, text + "|" + json);
    };
    try (SagaRuntime runtime = Sagas.runtime(options());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArraySerializer(),
            new ByteArraySerializer())) {
      CompletableFuture<Void> run = runtime.run(saga, Action.of("IN", "tx-text", (JsonNode) null));
      readActions(runtime, out, 1); // the channels are open once the saga put this
      // Written as Node sagas write them: no key, extra whitespace.
      producer.send(new ProducerRecord<>(orders, bytes(
          "{\"transaction_id\": \"tx-text\", \"payload\": {\"id\": \"o-3\", \"item\": \"calzone\", \"quantity\": 1}}")))
          .get();
      producer.send(new ProducerRecord<>(notes, bytes("{\"transaction_id\":\"tx-text\",\"payload\":\"large\"}"))).get();
      producer.send(new ProducerRecord<>(notes, bytes("{\"transaction_id\":\"tx-text\",\"payload\":{\"a\":1}}"))).get();
      run.get(60, TimeUnit.SECONDS);
      assertThat(typed.get().payload()).isEqualTo(new Order("o-3", "calzone", 1));
      assertThat(readActions(runtime, out, 2).get(1).payload().textValue()).isEqualTo("large|{\"a\":1}");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
