package io.sagaflow.testkit;

import java.util.Objects;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.EmbeddedKafkaOptions;

/**
 * Gives a test class a real Kafka broker: started once before the class's first test, stopped
 * (port freed, data deleted) after its last, and injected into any test or lifecycle method that
 * takes an {@link EmbeddedKafka} parameter.
 *
 * <pre>{@code
 * @ExtendWith(KafkaExtension.class)
 * class OrdersTest {
 *   @Test
 *   void consumesOrders(EmbeddedKafka kafka) {
 *     kafka.createTopic("orders", 6);
 *     // ... clients with kafka.bootstrapServers()
 *   }
 * }
 *
 * // Or with options:
 * @RegisterExtension
 * static final KafkaExtension KAFKA = KafkaExtension.withOptions(EmbeddedKafkaOptions.defaults().withBrokers(3));
 * }</pre>
 *
 * <p>Use unique topic and group names per test: the broker is shared by the tests of a class.
 * It is closed in this extension's {@code afterAll}, so that an extension registered before this
 * one, such as sagaflow-embedded's {@link io.sagaflow.embedded.LeakCheck}
 * ({@code @ExtendWith({LeakCheck.class, KafkaExtension.class})}), sees it stopped.
 */
public final class KafkaExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaExtension.class);

  private final EmbeddedKafkaOptions options;

  /** One broker with {@link EmbeddedKafkaOptions#defaults()}. */
  public KafkaExtension() {
    this(EmbeddedKafkaOptions.defaults());
  }

  private KafkaExtension(EmbeddedKafkaOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** An extension that starts the broker with these options; register it with {@code @RegisterExtension}. */
  public static KafkaExtension withOptions(EmbeddedKafkaOptions options) {
    return new KafkaExtension(options);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    EmbeddedKafka kafka = context.getStore(NAMESPACE).remove("kafka", EmbeddedKafka.class);
    if (kafka != null) {
      kafka.close();
    }
  }

  /** The broker of the test class running in {@code context}. */
  public EmbeddedKafka kafka(ExtensionContext context) {
    ExtensionContext classContext = context.getTestClass().isPresent() && context.getTestMethod().isPresent()
        ? context.getParent().orElse(context)
        : context;
    return classContext.getStore(NAMESPACE)
        .getOrComputeIfAbsent("kafka", k -> EmbeddedKafka.start(options), EmbeddedKafka.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == EmbeddedKafka.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext)
      throws ParameterResolutionException {
    return kafka(extensionContext);
  }
}
