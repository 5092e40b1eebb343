/**
 * Sagaflow: reliable event processing and sagas on Apache Kafka.
 *
 * <p>Public API packages are exported; {@code ...internal} packages are not.
 */
module io.sagaflow.core {
  requires transitive kafka.clients;
  requires transitive com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static micrometer.core;

  exports io.sagaflow.admin;
  exports io.sagaflow.kafka;
  exports io.sagaflow.routing;
}
