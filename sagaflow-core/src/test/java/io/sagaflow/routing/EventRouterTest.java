package io.sagaflow.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import io.sagaflow.recovery.RetryPolicy;

class EventRouterTest {
  record OrderCreated(String orderId, int quantity) {}

  private final List<Object> seen = new ArrayList<>();

  private static EventContext ctx() {
    return new EventContext(null, "k1", new RecordHeaders(), Instant.EPOCH, Instant.now(), "orders", 2, 41L, 1,
        new EventContext.ConsumerInfo("client-1", "billing", 3, "member-1", Set.of()),
        Map.of("region", "eu"), (t, k, v, h) -> {
          throw new UnsupportedOperationException();
        });
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void routesToEveryHandlerOfTheEventInOrderWithTypedDataAndContext() throws Exception {
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (o, c) -> seen.add("first " + o + " " + c.event() + "@" + c.offset()))
        .on("OrderCreated", OrderCreated.class, (o, c) -> seen.add("second " + o.orderId() + " " + c.metadata()))
        .on("OrderCancelled", String.class, (o, c) -> seen.add("cancelled " + o))
        .build();
    String routed = router.route(json("{\"event\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\",\"quantity\":2}}"), ctx());
    assertThat(routed).isEqualTo("OrderCreated");
    assertThat(seen).containsExactly(
        "first OrderCreated[orderId=o-1, quantity=2] OrderCreated@41", "second o-1 {region=eu}");
  }

  @Test
  void falsyDataIsValidData() throws Exception {
    EventRouter router = EventRouter.builder()
        .on("Zero", Integer.class, (v, c) -> seen.add(v))
        .on("False", Boolean.class, (v, c) -> seen.add(v))
        .on("Empty", String.class, (v, c) -> seen.add(v))
        .on("Nothing", String.class, (v, c) -> seen.add(String.valueOf(v)))
        .build();
    router.route(json("{\"event\":\"Zero\",\"data\":0}"), ctx());
    router.route(json("{\"event\":\"False\",\"data\":false}"), ctx());
    router.route(json("{\"event\":\"Empty\",\"data\":\"\"}"), ctx());
    router.route(json("{\"event\":\"Nothing\"}"), ctx());
    assertThat(seen).containsExactly(0, false, "", "null");
  }

  @Test
  void unknownEventsMissingNamesAndBadDataAreRoutingErrorsNeverSilentDrops() {
    EventRouter router = EventRouter.builder().on("OrderCreated", OrderCreated.class, (o, c) -> seen.add(o)).build();
    assertThatThrownBy(() -> router.route(json("{\"event\":\"OrderShipped\",\"data\":{}}"), ctx()))
        .isInstanceOf(RoutingException.UnknownEvent.class)
        .hasMessageContaining("no handler for event \"OrderShipped\" (handled: [OrderCreated])");
    assertThatThrownBy(() -> router.route(json("{\"data\":{}}"), ctx()))
        .isInstanceOf(RoutingException.MalformedEnvelope.class)
        .hasMessageContaining("no \"event\" name");
    assertThatThrownBy(() -> router.route(json("not json"), ctx()))
        .isInstanceOf(RoutingException.MalformedEnvelope.class)
        .hasMessageContaining("not JSON");
    assertThatThrownBy(() -> router.route(json("[1,2]"), ctx()))
        .isInstanceOf(RoutingException.MalformedEnvelope.class)
        .hasMessageContaining("array");
    assertThatThrownBy(() -> router.route(null, ctx()))
        .isInstanceOf(RoutingException.MalformedEnvelope.class)
        .hasMessageContaining("tombstone");
    assertThatThrownBy(() -> router.route(json("{\"event\":\"OrderCreated\",\"data\":{\"quantity\":\"many\"}}"), ctx()))
        .isInstanceOf(RoutingException.DataMapping.class)
        .hasMessageContaining("does not map to")
        .hasMessageContaining("OrderCreated");
    assertThat(seen).isEmpty();
  }

  @Test
  void ignoringUnknownEventsIsAnExplicitChoice() throws Exception {
    EventRouter router = EventRouter.builder()
        .on("OrderCreated", OrderCreated.class, (o, c) -> seen.add(o))
        .ignoreUnknownEvents()
        .build();
    assertThat(router.route(json("{\"event\":\"Other\",\"data\":1}"), ctx())).isNull();
    assertThatThrownBy(() -> router.route(json("{}"), ctx())).isInstanceOf(RoutingException.MalformedEnvelope.class);
  }

  @Test
  void aHandlerFailureStopsTheRestAndPropagates() {
    EventRouter router = EventRouter.builder()
        .on("E", String.class, (v, c) -> {
          throw new IllegalStateException("boom");
        })
        .on("E", String.class, (v, c) -> seen.add(v))
        .build();
    assertThatThrownBy(() -> router.route(json("{\"event\":\"E\",\"data\":\"x\"}"), ctx())).hasMessage("boom");
    assertThat(seen).isEmpty();
  }

  @Test
  void dataThatDoesNotMapForOneHandlerRunsNone() {
    EventRouter router = EventRouter.builder()
        .on("E", String.class, (v, c) -> seen.add("string " + v))
        .on("E", OrderCreated.class, (v, c) -> seen.add("order " + v))
        .build();
    assertThatThrownBy(() -> router.route(json("{\"event\":\"E\",\"data\":\"x\"}"), ctx()))
        .isInstanceOf(RoutingException.DataMapping.class);
    assertThat(seen).isEmpty();
  }

  @Test
  void routingFailuresAreNeverRetriedByTheRecoveryPipeline() {
    RetryPolicy everythingRetryable = RetryPolicy.defaults().withRetryable(e -> true);
    assertThat(everythingRetryable.isRetryable(new RoutingException.UnknownEvent("E", "no handler"))).isFalse();
    assertThat(everythingRetryable.isRetryable(new RoutingException.MalformedEnvelope("no event", null))).isFalse();
    assertThat(everythingRetryable.isRetryable(new RoutingException.DataMapping("bad", null))).isFalse();
    assertThat(everythingRetryable.isRetryable(new IllegalStateException("handler failed"))).isTrue();
  }

  @Test
  void aRouterWithoutHandlersIsAMistake() {
    assertThatThrownBy(() -> EventRouter.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs at least one handler");
  }
}
