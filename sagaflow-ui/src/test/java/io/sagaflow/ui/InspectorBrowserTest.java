package io.sagaflow.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import io.sagaflow.examples.pizza.PizzaDemo;
import io.sagaflow.examples.pizza.PizzaTopics;
import io.sagaflow.kafka.ClusterOptions;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.processor.FailedRecord;
import io.sagaflow.recovery.Recovery;
import io.sagaflow.recovery.RecoveryHandler;
import io.sagaflow.recovery.RecoveryOptions;
import io.sagaflow.recovery.RetryPolicy;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import io.sagaflow.ui.internal.JournalSnapshot;
import io.sagaflow.ui.internal.SagaRun;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The inspector in a real headless Chromium against an embedded broker: the pizza demo's sagas run
 * durable (consumer groups, topics, and the journals they write), a few runs the demo does not
 * have are written by hand ({@link SyntheticJournals}), dead letters are written by the recovery
 * pipeline; then the page is driven like a user would. One broker, one browser, one server for the class.
 */
@ExtendWith(LeakCheck.class)
class InspectorBrowserTest {
  /** Markup in record contents: it must show as text and never run. */
  static final String SCRIPT = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static CompletableFuture<ChromeDriver> starting;
  private static ChromeDriver browser;
  private static EmbeddedKafka kafka;
  private static KafkaProducer<byte[], byte[]> producer;
  private static SagaflowUi ui;
  private static String pineappleTx;

  @BeforeAll
  static void runThePizzaDemoAndStartThePage() throws Exception {
    HeadlessChromium.require(); // skips the class before anything starts when no browser can be had
    starting = CompletableFuture.supplyAsync(HeadlessChromium::start); // meanwhile, the broker and the demo
    kafka = EmbeddedKafka.start();
    ClusterOptions cluster = ClusterOptions.of(kafka.bootstrapServers());
    PizzaDemo.Summary summary = PizzaDemo.run(new PizzaDemo.Config(cluster, PizzaDemo.Role.ALL, 5,
        Duration.ofMillis(20), Duration.ofMillis(120), Duration.ofMillis(40), Duration.ofSeconds(10), true),
        new PrintStream(OutputStream.nullOutputStream()));
    assertThat(summary.ok()).as("the demo's orders ended as designed").isTrue();
    assertThat(summary.failed()).as("the pineapple order failed").hasSize(1);

    producer = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());
    try (KafkaCluster k = KafkaCluster.create(cluster)) {
      pineappleTx = JournalSnapshot.read(k, WAIT).runs().stream()
          .filter(r -> r.journal() != null && r.journal().action().payload().path("pizza").asText().equals("pineapple"))
          .map(SagaRun::transactionId).findFirst().orElseThrow();
    }
    writeSyntheticRuns(new SyntheticJournals(producer));
    writeDeadLetters();
    // A group that has read 1 of 4 records: lag 3.
    kafka.createTopic("pizza-audit", 1);
    for (int i = 0; i < 4; i++) {
      producer.send(new ProducerRecord<>("pizza-audit", 0, ("audit-" + i).getBytes(UTF_8), "{}".getBytes(UTF_8)));
    }
    producer.flush();
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.alterConsumerGroupOffsets("pizza-audit", Map.of(new TopicPartition("pizza-audit", 0), new OffsetAndMetadata(1)))
          .all().get();
    }
    ui = SagaflowUi.start(UiOptions.of(cluster).withPort(0).withAllowReplay(true).withRefresh(Duration.ofMillis(300)));
    browser = starting.join();
  }

  /** Runs the demo does not have: one still waiting, one compensating, one failed with markup, one malformed. */
  private static void writeSyntheticRuns(SyntheticJournals journals) {
    Instant now = Instant.now();
    var payload = JsonNodeFactory.instance.objectNode().put("orderId", "order-099").put("pizza", "funghi");
    SagaJournal waiting = SagaJournal.start("PIZZA_ORDER_PLACED-3@999", PizzaTopics.ORDER_PLACED, null,
        SyntheticJournals.action(PizzaTopics.ORDER_PLACED, "tx-waiting-099", payload), now.minusSeconds(2));
    waiting = waiting.withEntry(done(JournalEntry.pending("1", EffectKind.PUT, PizzaTopics.CREATE_BEGIN, now.minusSeconds(2), null)))
        .withEntry(JournalEntry.pending("2", EffectKind.RACE, "baked,failed,timeout", now.minusSeconds(2), null))
        .withEntry(JournalEntry.pending("2/race/timeout", EffectKind.DELAY, null, now.minusSeconds(2), now.plusSeconds(600)));
    journals.live(SyntheticJournals.ORDER_JOURNAL, waiting);

    SagaJournal compensating = SagaJournal.start("payments-0@7", "PaymentSaga", null,
        SyntheticJournals.action("payments", "tx-compensating-7", payload), now.minusSeconds(1))
        .withEntry(done(JournalEntry.pending("1", EffectKind.CALL, "charge", now.minusSeconds(1), null)))
        .withEntry(JournalEntry.pending("2", EffectKind.CALL, "ship", now, null)
            .failed(new RecordedFailure("java.io.IOException", "carrier down", null), 3))
        .withEntry(JournalEntry.pending("compensate/1/1", EffectKind.CALL, "refund", now, null));
    journals.live(SyntheticJournals.ORDER_JOURNAL, compensating);

    var evil = JsonNodeFactory.instance.objectNode().put("orderId", "order-666").put("pizza", SCRIPT);
    SagaJournal failed = SagaJournal.start("PIZZA_ORDER_PLACED-1@666", PizzaTopics.ORDER_PLACED, null,
        SyntheticJournals.action(PizzaTopics.ORDER_PLACED, "tx-script-666", evil), now)
        .withEntry(JournalEntry.pending("1", EffectKind.CALL, "check", now, null)
            .failed(new RecordedFailure("java.lang.IllegalStateException", SCRIPT, null), 2));
    journals.finish(SyntheticJournals.ORDER_JOURNAL, failed, "failed", "java.lang.IllegalStateException: " + SCRIPT);

    journals.raw(SyntheticJournals.ORDER_JOURNAL, "broken-run@1", "this is not a journal".getBytes(UTF_8));
    producer.flush();
  }

  private static JournalEntry done(JournalEntry pending) {
    return pending.returned(null, null, 2);
  }

  private static void writeDeadLetters() throws Exception {
    RetryPolicy policy = RetryPolicy.defaults().withInPlaceAttempts(1).withRetryTopicDelays(List.of());
    try (RecoveryHandler recovery = Recovery.handler(
        RecoveryOptions.of(kafka.bootstrapServers(), "pizza-order").withPolicy(policy))) {
      recovery.createTopics(PizzaTopics.ORDER_PLACED);
      for (int i = 0; i < 4; i++) {
        boolean evil = i == 3;
        ConsumerRecord<byte[], byte[]> raw = new ConsumerRecord<>(PizzaTopics.ORDER_PLACED, 0, 100 + i,
            ("letter-" + i).getBytes(UTF_8), (evil ? SCRIPT : "{\"orderId\":\"order-10" + i + "\"}").getBytes(UTF_8));
        Exception error = evil ? new ArithmeticException("bad total " + SCRIPT)
            : new IllegalStateException("payment service down " + i);
        recovery.onFailure(new FailedRecord(raw, error, 1, "pizza-order"));
      }
    }
  }

  @AfterAll
  static void stop() {
    if (ui != null) {
      ui.close();
    }
    if (producer != null) {
      producer.close();
    }
    if (browser == null && starting != null) {
      browser = starting.join();
    }
    if (browser != null) {
      browser.quit();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  // ---------------------------------------------------------------- sagas

  @Test
  void findsTheFailedPineappleOrderByTransactionIdAndShowsItsTimelineInOrder() throws Exception {
    open("#/sagas");
    browser.findElement(By.id("search-tx")).sendKeys(pineappleTx);
    await("the pineapple order's runs").atMost(WAIT).ignoreExceptions().until(() ->
        attrs("#sagas-table tbody tr", "data-tx").equals(List.of(pineappleTx, pineappleTx)));
    // A durable consumer journals its saga under its input topic's name.
    assertThat(attrs("#sagas-table tbody tr", "data-saga"))
        .containsExactlyInAnyOrder(PizzaTopics.ORDER_PLACED, PizzaTopics.CREATE_BEGIN);
    HeadlessChromium.screenshot(browser, "ui-sagas");

    click("#sagas-table tr[data-saga='" + PizzaTopics.ORDER_PLACED + "']");
    await("the order's timeline").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#timeline li.effect", "data-id").size() == 7);
    assertThat(text("#saga-tx")).isEqualTo(pineappleTx);
    assertThat(attrs("#timeline li.effect", "data-id"))
        .containsExactly("1", "2", "3", "4", "4/race/timeout", "4/race/failed", "5");
    assertThat(attrs("#timeline li.effect", "data-kind"))
        .containsExactly("actionChannel", "actionChannel", "put", "race", "delay", "take", "put");
    assertThat(text("#timeline li[data-id='3']")).contains(PizzaTopics.CREATE_BEGIN);
    assertThat(text("#timeline li[data-id='4/race/failed']")).as("the kitchen's answer, taken by the race's winning branch")
        .contains(PizzaTopics.CREATE_FAILED, "the oven refuses to bake pineapple");
    assertThat(text("#timeline li[data-id='5']")).contains(PizzaTopics.ORDER_FAILED);
    assertThat(text("#timeline li[data-id='4']")).contains("won by failed");
    assertThat(text("#timeline li[data-id='4/race/timeout']")).as("the timeout's deadline").contains("deadline");
    assertThat(attrs("#timeline li[data-id='4/race/timeout']", "data-status")).as("the losing branch")
        .containsExactly("unfinished");
    assertThat(text("#saga h2 .pill")).isEqualTo("completed");
    HeadlessChromium.screenshot(browser, "ui-timeline");

    open("#/sagas");
    browser.findElement(By.id("search-tx")).sendKeys(pineappleTx);
    // Filtered before the click: unfiltered, the first kitchen row may be another order's.
    await("the pineapple order's runs, again").atMost(WAIT).ignoreExceptions().until(() ->
        attrs("#sagas-table tbody tr", "data-tx").equals(List.of(pineappleTx, pineappleTx)));
    click("#sagas-table tr[data-saga='" + PizzaTopics.CREATE_BEGIN + "']");
    await("the kitchen's timeline").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#timeline li.effect", "data-id").equals(List.of("1", "2", "3")));
    assertThat(text("#saga-tx")).isEqualTo(pineappleTx);
    assertThat(attrs("#timeline li[data-id='2']", "data-kind")).containsExactly("call");
    assertThat(attrs("#timeline li[data-id='2']", "data-status")).containsExactly("failed");
    assertThat(text("#timeline li[data-id='2'] pre.error"))
        .isEqualTo("java.lang.IllegalArgumentException: the oven refuses to bake pineapple");
  }

  @Test
  void filtersByStatusAndSagaAndShowsWhatAWaitingRunWaitsFor() {
    open("#/sagas");
    select("filter-status", "waiting");
    await("the waiting run").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#sagas-table tbody tr", "data-tx").equals(List.of("tx-waiting-099")));
    select("filter-status", "compensating");
    await("the compensating run").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#sagas-table tbody tr", "data-tx").equals(List.of("tx-compensating-7")));
    select("filter-saga", PizzaTopics.ORDER_PLACED);
    await("no compensating order saga").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#sagas-table tbody tr", "data-tx").isEmpty());
    select("filter-saga", "");
    select("filter-status", "waiting");
    await().atMost(WAIT).ignoreExceptions().until(() -> attrs("#sagas-table tbody tr", "data-tx").size() == 1);
    click("#sagas-table tbody tr");
    await("what it waits for").atMost(WAIT).ignoreExceptions()
        .until(() -> text("#waits-for").contains("a race between baked,failed,timeout"));
    assertThat(text("#waits-for")).contains("a delay until", "deadline", "in ");
  }

  @Test
  void badInputShowsAClearMessage() {
    open("#/sagas");
    browser.findElement(By.id("search-tx")).sendKeys("no-such-transaction");
    await("the unknown id's message").atMost(WAIT).ignoreExceptions().until(() -> text("#sagas-message")
        .contains("no saga run has a transaction id like \"no-such-transaction\""));
    open("#/saga?journal=" + SyntheticJournals.ORDER_JOURNAL + "&key=nope@1");
    await("the missing run's message").atMost(WAIT).ignoreExceptions().until(() -> text("#saga-missing")
        .contains("no saga run nope@1 in " + SyntheticJournals.ORDER_JOURNAL));
    open("#/sagas");
    select("filter-status", "malformed");
    await("the malformed record, named").atMost(WAIT).ignoreExceptions().until(() ->
        attrs("#sagas-table tbody tr", "data-key").equals(List.of("broken-run@1")));
    assertThat(text("#sagas-table tbody tr")).contains("journal record broken-run@1 at "
        + SyntheticJournals.ORDER_JOURNAL + "-0@", "is not JSON");
  }

  // ---------------------------------------------------------------- consumer groups

  @Test
  void consumerGroupsShowLagPerPartitionAndAChart() throws Exception {
    open("#/groups");
    String audit = ".group[data-group='pizza-audit']";
    await("the audit group's lag").atMost(WAIT).ignoreExceptions()
        .until(() -> text(audit + " .total-lag").equals("total lag 3"));
    assertThat(text(audit + " tr[data-topic='pizza-audit'][data-partition='0'] .lag-value")).isEqualTo("3");
    assertThat(attrs(".group", "data-group")).contains("pizza-order", "pizza-kitchen", "pizza-delivery");
    // The delivery saga consumed every record. Its input is written in the order saga's transactions
    // (durable), and the commit marker after a partition's last record counts as lag in offsets:
    // at most one per partition (6).
    String deliveryLag = text(".group[data-group='pizza-delivery'] .total-lag");
    assertThat(deliveryLag).startsWith("total lag ");
    assertThat(Integer.parseInt(deliveryLag.substring("total lag ".length()))).isBetween(0, 6);
    await("a chart of several samples").atMost(WAIT).ignoreExceptions().until(() ->
        attrs(audit + " svg.lag-chart polyline", "points").getFirst().split(" ").length >= 3);
    assertThat(text("#groups-note")).contains("Stalled keys and paused partitions");
    HeadlessChromium.screenshot(browser, "ui-groups");
  }

  // ---------------------------------------------------------------- dead letters

  @Test
  void deadLettersShowTheirHeadersDecoded() throws Exception {
    openDeadLetters("");
    await("four letters").atMost(WAIT).ignoreExceptions().until(() -> attrs("#letters tr.letter", "data-key").size() == 4);
    String first = "#letters tr.letter[data-key='letter-0']";
    assertThat(text(first + " .original")).contains(PizzaTopics.ORDER_PLACED + "-0@100", "group pizza-order");
    assertThat(text(first + " .exception")).isEqualTo("java.lang.IllegalStateException");
    assertThat(text(first + " .message")).isEqualTo("payment service down 0");
    click(first + " summary");
    assertThat(text(first + " details pre")).contains("IllegalStateException", "at ");
    HeadlessChromium.screenshot(browser, "ui-dlq");
  }

  @Test
  void replayFromThePageCopiesTheFilteredLettersBack() throws Exception {
    openDeadLetters("IllegalState");
    await("three matching letters").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#letters tr.letter", "data-key").size() == 3);
    click("#replay-button");
    assertThat(browser.findElement(By.id("confirm")).isDisplayed()).as("asks first").isTrue();
    assertThat(text("#confirm-text")).contains("IllegalState", "3 matching");
    click("#confirm-yes");
    await("the replay to finish").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#replay-status", "data-done").equals(List.of("true")));
    assertThat(text("#replay-text")).contains("done: 3/3", "replayed 3", "failed 0");
    assertThat(browser.findElement(By.id("replay-progress")).getDomProperty("value")).isEqualTo("3");
    HeadlessChromium.screenshot(browser, "ui-replay");
    Set<String> copied = ConcurrentHashMap.newKeySet();
    await("the copies on " + PizzaTopics.ORDER_PLACED).atMost(WAIT).until(() -> {
      copied.addAll(keysOn(PizzaTopics.ORDER_PLACED));
      return copied.containsAll(List.of("letter-0", "letter-1", "letter-2"));
    });
    assertThat(copied).doesNotContain("letter-3");
  }

  @Test
  void readOnlyByDefaultAndNoSecretReachesThePage() throws Exception {
    ClusterOptions withSecret = ClusterOptions.of(kafka.bootstrapServers())
        .withClientProperties(Map.of("ssl.key.password", "hunter2-secret"));
    try (SagaflowUi readOnly = SagaflowUi.start(UiOptions.of(withSecret).withPort(0));
        HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(readOnly.url().resolve("/api/dlq/replay"))
          .header("X-Sagaflow-Action", "replay").POST(HttpRequest.BodyPublishers.ofString(
              "{\"topic\":\"" + PizzaTopics.ORDER_PLACED + "-dlt\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(403);
      assertThat(JSON.readTree(post.body()).path("error").asText()).contains("--allow-replay");
      StringBuilder everything = new StringBuilder();
      for (String path : List.of("/", "/static/app.js", "/api/info", "/api/sagas", "/api/groups", "/api/dlq/topics",
          "/api/dlq?topic=" + PizzaTopics.ORDER_PLACED + "-dlt")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(readOnly.url().resolve(path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        everything.append(r.body());
      }
      assertThat(everything).contains(kafka.bootstrapServers()).doesNotContain("hunter2");
      browser.get(readOnly.url() + "#/dlq");
      await("the read-only note").atMost(WAIT).ignoreExceptions().until(() -> text("#read-only").contains("--allow-replay"));
      assertThat(browser.findElements(By.id("replay-button"))).isEmpty();
    }
  }

  @Test
  void aBrokerThatIsGoneShowsAMessageAndTheServerKeepsAnswering() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (SagaflowUi gone = SagaflowUi.start(UiOptions.of(ClusterOptions.of("127.0.0.1:" + closedPort)).withPort(0)
        .withTimeout(Duration.ofSeconds(1)).withRefresh(Duration.ofMillis(300)));
        HttpClient http = HttpClient.newHttpClient()) {
      browser.get(gone.url() + "#/groups");
      await("the broker's absence, said").atMost(WAIT).ignoreExceptions().until(() ->
          text("#error").contains("Kafka at 127.0.0.1:" + closedPort + " did not answer"));
      browser.get(gone.url() + "#/sagas");
      browser.navigate().refresh();
      await("the journal reader's message").atMost(WAIT).ignoreExceptions().until(() ->
          text("#error").contains("cannot reach Kafka at 127.0.0.1:" + closedPort));
      HttpResponse<String> info = http.send(HttpRequest.newBuilder(gone.url().resolve("/api/info")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(info.statusCode()).as("the server still answers").isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------- escaping

  @Test
  void markupInRecordContentsIsShownAsTextAndNeverRuns() {
    openDeadLetters("Arithmetic");
    await("the letter holding markup").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#letters tr.letter", "data-key").equals(List.of("letter-3")));
    assertThat(text("#letters tr.letter pre.payload")).isEqualTo(SCRIPT);
    assertThat(text("#letters tr.letter .message")).isEqualTo("bad total " + SCRIPT);
    assertThat(browser.findElements(By.cssSelector("#view script, #view img"))).isEmpty();

    open("#/sagas");
    browser.findElement(By.id("search-tx")).sendKeys("tx-script-666");
    await("the failed run").atMost(WAIT).ignoreExceptions()
        .until(() -> attrs("#sagas-table tbody tr", "data-tx").equals(List.of("tx-script-666")));
    assertThat(attrs("#sagas-table tbody tr .pill", "data-status")).containsExactly("failed");
    click("#sagas-table tbody tr");
    await("its timeline").atMost(WAIT).ignoreExceptions().until(() -> attrs("#timeline li.effect", "data-id").size() == 1);
    assertThat(text("#saga .payload")).contains("\"pizza\":\"<script>window.__pwned=1</script><img src=x onerror=");
    assertThat(text("#saga-error")).isEqualTo("java.lang.IllegalStateException: " + SCRIPT);
    assertThat(text("#timeline pre.error")).isEqualTo("java.lang.IllegalStateException: " + SCRIPT);
    assertThat(browser.findElements(By.cssSelector("#view script, #view img"))).isEmpty();
    assertThat(browser.executeScript("return typeof window.__pwned")).as("no injected script ran").isEqualTo("undefined");
  }

  // ---------------------------------------------------------------- helpers

  private static void open(String hash) {
    // A page load of its own, so the route starts clean: only a new hash on the same page would not
    // reload it, and a refresh right after it could be aborted by the page's own hash navigation
    // ("aborted by navigation: Not attached to an active page", seen once in CI).
    browser.get("about:blank");
    browser.get(ui.url() + hash);
    await("the page").atMost(WAIT).ignoreExceptions().until(() -> !browser.findElement(By.id("view")).getText().isEmpty());
  }

  private static void openDeadLetters(String exception) {
    open("#/dlq");
    await("the dead-letter topics").atMost(WAIT).ignoreExceptions().until(() ->
        attrs("#dlq-topic option", "value").contains(PizzaTopics.ORDER_PLACED + "-dlt"));
    select("dlq-topic", PizzaTopics.ORDER_PLACED + "-dlt");
    if (!exception.isEmpty()) {
      browser.findElement(By.id("dlq-exception")).sendKeys(exception);
    }
  }

  /** The attribute {@code attr} of every element {@code css} selects, read in one go (no stale elements). */
  @SuppressWarnings("unchecked")
  private static List<String> attrs(String css, String attr) {
    return (List<String>) browser.executeScript(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))", css, attr);
  }

  /** The visible text of the first element {@code css} selects ("" when there is none). */
  private static String text(String css) {
    Object t = browser.executeScript("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css);
    return String.valueOf(t).strip();
  }

  private static void click(String css) {
    await("to click " + css).atMost(WAIT).ignoreExceptions().until(() -> {
      browser.findElement(By.cssSelector(css)).click();
      return true;
    });
  }

  private static void select(String id, String value) {
    await("to select " + value + " in " + id).atMost(WAIT).ignoreExceptions().until(() -> {
      new Select(browser.findElement(By.id(id))).selectByValue(value);
      return true;
    });
  }

  private static List<String> keysOn(String topic) {
    List<String> keys = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.clientProperties(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          if (r.key() != null) {
            keys.add(new String(r.key(), UTF_8));
          }
        }
      }
    }
    return keys;
  }
}
