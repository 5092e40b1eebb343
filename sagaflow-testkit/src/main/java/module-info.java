/**
 * Test support for Sagaflow users: {@link io.sagaflow.testkit.KafkaExtension} (an embedded broker
 * per test class), {@link io.sagaflow.testkit.LeakCheck} and {@link io.sagaflow.testkit.SagaTester}
 * (sagas on virtual time, no Kafka).
 *
 * <p>JUnit Jupiter is {@code requires static}: it is there whenever the extensions are used, and
 * {@code SagaTester} needs no JUnit at all. {@code io.sagaflow.embedded} is an automatic module
 * (see its pom for why); the Kafka broker jars it needs stay on the class path.
 */
module io.sagaflow.testkit {
  requires transitive io.sagaflow.core;
  requires transitive io.sagaflow.embedded;
  requires static transitive org.junit.jupiter.api;

  exports io.sagaflow.testkit;
}
