package io.sagaflow.spring.boot;

import io.sagaflow.processor.Ordering;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a bean method for every record of some topics, on a Sagaflow {@link
 * io.sagaflow.processor.Processor} with the recovery pipeline: the Sagaflow counterpart of
 * {@code @KafkaListener}. One processor per annotated method, started when the application
 * context is ready and drained when it closes.
 *
 * <pre>{@code
 * @Component
 * class Billing {
 *   @SagaflowListener(topics = "purchases", groupId = "billing", concurrency = "500")
 *   void bill(Purchase purchase) { ... }                       // JSON value mapped by Jackson
 *
 *   @SagaflowListener(topics = "refunds", groupId = "billing", retry = "fail-fast")
 *   void refund(ProcessorRecord<String, Refund> record) { ... } // key, headers, offset, send(...)
 * }
 * }</pre>
 *
 * <p><b>Parameters.</b> The method takes the record's value, a {@link
 * io.sagaflow.processor.ProcessorRecord} (whose type arguments say how key and value are read), or
 * both. A {@code String} is read as UTF-8, a {@code byte[]} as it is, and any other type is mapped
 * from JSON by Jackson; a value that does not map is a deserialization failure and goes straight to
 * the dead-letter topic. The method returns {@code void}; it may block (it runs on a virtual thread).
 *
 * <p><b>Failures.</b> An exception the method throws goes to the recovery pipeline: retries in
 * place, then the retry topics (a second processor, group {@code <groupId>-retries}, consumes them),
 * then the dead-letter topic {@code <topic>-dlt}, with the policy of {@code sagaflow.recovery.retry}
 * or the named one of {@link #retry()}.
 *
 * <p>String attributes may hold {@code ${...}} placeholders.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface SagaflowListener {

  /** {@return a name for the processor in health details and logs; default {@code <bean>.<method>}} */
  String id() default "";

  /** {@return the topics to consume} */
  String[] topics();

  /** {@return the consumer group; default {@code sagaflow.processor.group-id}, else {@code spring.application.name}} */
  String groupId() default "";

  /** {@return the cluster, by its name under {@code sagaflow.clusters}; default {@code sagaflow.cluster}} */
  String cluster() default "";

  /**
   * The ordering; none given means {@code sagaflow.processor.ordering} (KEY by default): one record at
   * a time per key.
   *
   * @return the ordering, or none for the default
   */
  Ordering[] ordering() default {};

  /**
   * How many records are handled at once, over all partitions (the processor's {@code maxInFlight}),
   * default {@code sagaflow.processor.max-in-flight}. Unlike Spring Kafka, this is not a number of
   * consumer threads: Sagaflow handles records of one partition concurrently (per key with KEY
   * ordering). For more KafkaConsumers, see {@link #consumers()}.
   *
   * @return the in-flight bound, or empty for the default
   */
  String concurrency() default "";

  /** {@return the number of KafkaConsumers, each with its own poll thread; default {@code sagaflow.processor.consumers} (1)} */
  String consumers() default "";

  /**
   * The retry policy: the name of a {@link io.sagaflow.recovery.RetryPolicy} bean, or of a policy under
   * {@code sagaflow.recovery.policies}; default the policy of {@code sagaflow.recovery.retry}.
   *
   * @return the policy's name, or empty for the default
   */
  String retry() default "";
}
