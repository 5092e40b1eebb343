package io.sagaflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionChannel;
import io.sagaflow.saga.ActionPattern;
import io.sagaflow.saga.Effects;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.RaceResult;
import io.sagaflow.saga.Saga;
import io.sagaflow.saga.SagaMiddleware;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SagaTesterTest {

  record Order(String pizza, int amount) {}

  record Pizza(String id, String size) {}

  /** The pizza saga of the examples: ask the kitchen, wait for it with a timeout, then charge. */
  static final Saga<Order> ORDER_SAGA = (action, ctx) -> {
    ActionChannel<Pizza> created = ctx.actionChannel(ActionPattern.of("PIZZA_CREATE_SUCCESS", Pizza.class));
    ctx.put("PIZZA_CREATE", action.payload());
    RaceResult r = ctx.race(Map.of(
        "pizza", Effects.take(created),
        "timeout", Effects.delay(Duration.ofSeconds(30))));
    if (r.key().equals("timeout")) {
      ctx.put("ORDER_TIMED_OUT", action.payload());
      return;
    }
    Pizza pizza = r.value(Action.class).payload() instanceof Pizza p ? p : null;
    try {
      String receipt = ctx.call("chargeCard", amount -> "real-charge-" + amount, action.payload().amount());
      ctx.put("ORDER_CONFIRMED", Map.of("pizza", pizza.id(), "receipt", receipt));
    } catch (IllegalStateException e) {
      ctx.put("ORDER_PAYMENT_FAILED", e.getMessage());
    }
  };

  @Test
  void scriptedReplyLetsTheHappyPathRun() {
    SagaTestResult result = SagaTester.of(ORDER_SAGA)
        .whenPut("PIZZA_CREATE").thenReply("PIZZA_CREATE_SUCCESS", new Pizza("p-1", "L"))
        .whenCall("chargeCard").thenReturn("receipt-9")
        .run("ORDER_PLACED", new Order("margherita", 12));
    result.assertSucceeded().assertPutTopics("PIZZA_CREATE", "ORDER_CONFIRMED");
    assertThat(result.payloadsPutTo("ORDER_CONFIRMED")).containsExactly(Map.of("pizza", "p-1", "receipt", "receipt-9"));
    assertThat(result.puts().get(0).transactionId()).isEqualTo(SagaTester.TRANSACTION_ID);
    assertThat(result.virtualTime()).isEqualTo(Duration.ZERO);
  }

  @Test
  void whenTakeRepliesAreDeliveredToTheChannel() {
    SagaTester.of(ORDER_SAGA)
        .whenTake("PIZZA_CREATE_SUCCESS").reply(new Pizza("p-2", "S"))
        .whenCall("chargeCard").thenReturn("r")
        .run(new Order("quattro", 9))
        .assertSucceeded()
        .assertPutTopics("PIZZA_CREATE", "ORDER_CONFIRMED");
  }

  @Test
  void withoutAReplyTheTimeoutElapsesInVirtualTime() {
    SagaTestResult result = SagaTester.of(ORDER_SAGA).run(new Order("funghi", 10));
    result.assertSucceeded().assertPutTopics("PIZZA_CREATE", "ORDER_TIMED_OUT");
    assertThat(result.virtualTime()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aStubbedCallCanThrowIntoTheSaga() {
    SagaTester.of(ORDER_SAGA)
        .whenTake("PIZZA_CREATE_SUCCESS").reply(new Pizza("p-3", "M"))
        .whenCall("chargeCard").thenThrow(new IllegalStateException("card declined"))
        .run(new Order("diavola", 11))
        .assertPutTopics("PIZZA_CREATE", "ORDER_PAYMENT_FAILED");
  }

  @Test
  void unstubbedCallsRunForReal() {
    SagaTestResult result = SagaTester.of(ORDER_SAGA)
        .whenTake("PIZZA_CREATE_SUCCESS").reply(new Pizza("p-4", "M"))
        .run(new Order("diavola", 11));
    assertThat(result.payloadsPutTo("ORDER_CONFIRMED"))
        .containsExactly(Map.of("pizza", "p-4", "receipt", "real-charge-11"));
  }

  @Test
  void aStuckSagaFailsWithWhatItWaitsFor() {
    Saga<String> saga = (action, ctx) -> ctx.take("NEVER_SCRIPTED");
    assertThatThrownBy(() -> SagaTester.of(saga).run("x"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("stuck")
        .hasMessageContaining("take([NEVER_SCRIPTED])");
  }

  @Test
  void repliesToADirectTakeAreDeliveredInScriptOrder() {
    Saga<String> saga = (action, ctx) -> {
      Action<JsonNode> first = ctx.take(List.of("A", "B"));
      Action<JsonNode> second = ctx.take("A");
      ctx.put("SEEN", first.topic() + first.payload().asText() + "," + second.topic() + second.payload().asText());
    };
    SagaTestResult result = SagaTester.of(saga)
        .whenTake("B").reply("1")
        .whenTake("A").reply("2")
        .run("go");
    assertThat(result.payloadsPutTo("SEEN")).containsExactly("B1,A2");
  }

  @Test
  void predicateChannelsSkipScriptedRepliesThatDoNotMatch() {
    Saga<String> saga = (action, ctx) -> {
      ActionChannel<Pizza> large = ctx.actionChannel(ActionPattern.of("PIZZA", Pizza.class)
          .where(a -> a.payload().size().equals("L")));
      ctx.put("SEEN", ctx.take(large).payload().id());
    };
    SagaTestResult result = SagaTester.of(saga)
        .whenTake("PIZZA").reply(new Pizza("small", "S"))
        .whenTake("PIZZA").reply(new Pizza("large", "L"))
        .run("go");
    assertThat(result.payloadsPutTo("SEEN")).containsExactly("large");
  }

  @Test
  void middlewareRunsInTheTester() {
    SagaMiddleware redirect = chain -> chain.effect() instanceof Put put && put.topic().equals("OLD")
        ? chain.proceed(put.withTopic("NEW"))
        : chain.proceed(chain.effect());
    Saga<String> saga = (action, ctx) -> ctx.put("OLD", action.payload());
    SagaTester.of(saga).withMiddleware(redirect).run("x").assertPutTopics("NEW");
  }

  @Test
  void aFailingPutIsThrownIntoTheSaga() {
    Saga<String> saga = (action, ctx) -> {
      try {
        ctx.put("BROKEN", null);
      } catch (IllegalStateException e) {
        ctx.put("FALLBACK", e.getMessage());
      }
    };
    SagaTestResult result = SagaTester.of(saga)
        .whenPut("BROKEN").thenFail(new IllegalStateException("broker down"))
        .run("x");
    result.assertPutTopics("FALLBACK");
    assertThat(result.payloadsPutTo("FALLBACK")).containsExactly("broker down");
  }

  @Test
  void theSagasExceptionAndReturnValueAreReported() {
    SagaTestResult failed = SagaTester.of((Saga<String>) (action, ctx) -> {
      throw new IllegalArgumentException("nope");
    }).run("x");
    assertThat(failed.assertFailed(IllegalArgumentException.class)).hasMessage("nope");
    assertThatThrownBy(failed::assertSucceeded).isInstanceOf(AssertionError.class);

    SagaTestResult returned = SagaTester.<String>ofReturning((action, ctx) -> ctx.delay(Duration.ofHours(1), "later"))
        .run("x");
    assertThat(returned.value()).isEqualTo("later");
    assertThat(returned.virtualTime()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void effectsAreLoggedWithTheirIds() {
    Saga<String> saga = (action, ctx) -> {
      ctx.put("A", null);
      ctx.all(List.of(Effects.put("B", null), Effects.delay(Duration.ofSeconds(1))));
    };
    assertThat(SagaTester.of(saga).run("x").effects())
        .containsExactlyInAnyOrder("1 put(A)", "2 all[0, 1]", "2/all/0 put(B)", "2/all/1 delay(PT1S)");
  }

  @Test
  void putAssertionsSayWhatHappened() {
    SagaTestResult result = SagaTester.of((Saga<String>) (action, ctx) -> ctx.put("A", null)).run("x");
    assertThatThrownBy(() -> result.assertPutTopics("B"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected puts to [B] but the saga put to [A]");
  }

  @Test
  void aTesterRunsOnce() {
    SagaTester<String> tester = SagaTester.of((action, ctx) -> {});
    tester.run("x");
    assertThatThrownBy(() -> tester.run("y")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void nowFollowsVirtualTime() {
    SagaTestResult result = SagaTester.<String>ofReturning((action, ctx) -> {
      java.time.Instant start = ctx.now();
      ctx.delay(Duration.ofDays(2));
      return Duration.between(start, ctx.now());
    }).run("x");
    assertThat(result.value()).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void aSagaThatTimesOutCompensatesInReverseOrder() {
    SagaTestResult result = SagaTester.<Order>of((action, ctx) -> {
      ctx.put("CARD_CHARGE", action.payload());
      ctx.addCompensation(Effects.put("CARD_REFUND", action.payload()));
      ActionChannel<Pizza> created = ctx.actionChannel(ActionPattern.of("PIZZA_CREATE_SUCCESS", Pizza.class));
      ctx.put("PIZZA_CREATE", action.payload());
      ctx.addCompensation(c -> c.put("PIZZA_CANCEL", action.payload()));
      RaceResult r = ctx.race(List.of(Effects.take(created), Effects.delay(Duration.ofSeconds(30))));
      if (r.index() == 1) {
        throw new IllegalStateException("no pizza");
      }
    }).run("ORDER_PLACED", new Order("margherita", 12));
    assertThat(result.assertFailed(IllegalStateException.class)).hasMessage("no pizza");
    result.assertPutTopics("CARD_CHARGE", "PIZZA_CREATE", "PIZZA_CANCEL", "CARD_REFUND");
    assertThat(result.compensationEffects()).containsExactly("compensate/1/2 call(compensate)",
        "compensate/1/2/1 put(PIZZA_CANCEL)", "compensate/1/1 put(CARD_REFUND)");
  }

  @Test
  void parallelCompensationStepsWaitOnVirtualTimeTogether() {
    SagaTestResult result = SagaTester.<String>of((action, ctx) -> {
      ctx.compensationOptions(io.sagaflow.saga.CompensationOptions.DEFAULT.withParallel(true));
      ctx.addCompensation(c -> {
        c.delay(Duration.ofSeconds(10));
        c.put("UNDO_1", null);
      });
      ctx.addCompensation(c -> {
        c.delay(Duration.ofSeconds(10));
        c.put("UNDO_2", null);
      });
      throw new IllegalStateException("boom");
    }).run("x");
    result.assertFailed(IllegalStateException.class);
    assertThat(result.putTopics()).containsExactlyInAnyOrder("UNDO_1", "UNDO_2");
    assertThat(result.virtualTime()).isEqualTo(Duration.ofSeconds(10)); // one after the other: 20 s
  }
}
