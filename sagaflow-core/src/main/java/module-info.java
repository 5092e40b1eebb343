/**
 * Sagaflow: reliable event processing ({@link io.sagaflow.processor.Processor}), recovery, event
 * routing and sagas on Apache Kafka.
 *
 * <p>Module notes for users on the module path:
 *
 * <ul>
 *   <li>{@code kafka.clients} is an automatic module (kafka-clients ships no descriptor); it is
 *       read transitively, as Kafka types appear throughout the API (so are Jackson's and SLF4J's).
 *   <li>Micrometer is optional ({@code requires static}): add {@code requires micrometer.core} to
 *       your module (or {@code --add-modules micrometer.core}) when you pass a {@code MeterRegistry}.
 *   <li>Jackson maps saga payloads and routed event data to <em>your</em> types by reflection: open
 *       the packages holding them to Jackson, e.g. {@code opens com.example.orders to
 *       com.fasterxml.jackson.databind;} (records need it too). Sagaflow's own types are never
 *       (de)serialized reflectively.
 * </ul>
 *
 * <p>The {@code internal} packages are implementation: only the ones the sibling modules need are
 * exported, and only to them.
 */
module io.sagaflow.core {
  requires transitive kafka.clients;
  requires transitive com.fasterxml.jackson.databind;
  requires transitive org.slf4j;
  requires static micrometer.core; // not transitive: it would then be required to compile every reader

  exports io.sagaflow.admin;
  exports io.sagaflow.kafka;
  exports io.sagaflow.processor;
  exports io.sagaflow.recovery;
  exports io.sagaflow.routing;
  exports io.sagaflow.saga;
  exports io.sagaflow.tracing;

  // SagaTester drives the saga engine on virtual time.
  exports io.sagaflow.saga.internal to io.sagaflow.testkit;
  // The durable-saga journal model, which JournalRecorder's signatures use.
  exports io.sagaflow.saga.internal.journal to io.sagaflow.testkit;
}
