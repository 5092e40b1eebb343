package io.sagaflow.examples.readme;

import io.sagaflow.examples.pizza.PizzaOrder;
import io.sagaflow.processor.RecordHandler;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The names README snippets may use without declaring them: each snippet is compiled as the body
 * of a method of a subclass of this class (see {@link ReadmeSnippetsTest}). Add a placeholder here
 * only for what a reader would have in their own code (a bootstrap string, a domain type, a
 * service); never for Sagaflow API, which the snippets must use as it is.
 */
public abstract class ReadmeContext {

  /** A bootstrap servers string. */
  protected String bootstrap = "127.0.0.1:9092";
  /** The reader's cluster handle, created earlier (no connection is made until a client is used). */
  protected io.sagaflow.kafka.KafkaCluster cluster =
      io.sagaflow.kafka.KafkaCluster.create(io.sagaflow.kafka.ClusterOptions.of("main", bootstrap));
  /** A secret from the reader's configuration. */
  protected String password = "secret";
  /** A temporary directory of the reader's test (JUnit's {@code @TempDir}). */
  protected java.nio.file.Path tempDir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
  /** A value for user metadata. */
  protected String region = "eu-west-1";
  /** Processor options defined earlier in the reader's code. */
  protected io.sagaflow.processor.ProcessorOptions<String, Order> options;
  /** A record handler defined earlier in the reader's code. */
  protected RecordHandler<String, Order> handler = record -> {};
  /** A service of the reader's. */
  protected Billing billing = new Billing();
  /** Payloads of the saga tester example. */
  protected PizzaOrder order = new PizzaOrder("order-001", "margherita", "1 Main Street");
  /** A payload of the saga tester example. */
  protected io.sagaflow.examples.pizza.Pizza pizza =
      new io.sagaflow.examples.pizza.Pizza("order-001", "margherita", "1 Main Street", 10);

  /** A domain type of the reader's. */
  public record Order(String id) {}

  /** The reader's deserializer of {@link Order}. */
  public static final class OrderDeserializer implements Deserializer<Order> {
    @Override
    public Order deserialize(String topic, byte[] data) {
      return new Order(new String(data, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** A service of the reader's. */
  public static class Billing {
    public void open(Object order) {}

    public void close(Object orderId) {}
  }

  /** A payment service of the reader's, whose charge may fail with a checked exception. */
  protected Payments payments = new Payments();

  /** The reader's checked exception. */
  public static final class PaymentDeclined extends Exception {
    private static final long serialVersionUID = 1L;

    public PaymentDeclined(String message) {
      super(message);
    }
  }

  /** A service of the reader's. */
  public static class Payments {
    public String charge(String account, long cents) throws PaymentDeclined {
      if (cents <= 0) {
        throw new PaymentDeclined("nothing to charge to " + account);
      }
      return "receipt-" + account + "-" + cents;
    }

    public String refund(String receipt) {
      return "refund-of-" + receipt;
    }
  }

  /** The reader's shipping receipt. */
  public record Receipt(String id) {}

  /** A shipping service of the reader's, which deduplicates by key. */
  public static class Shipping {
    public Receipt ship(Order order, String idempotencyKey) {
      return new Receipt(idempotencyKey);
    }
  }

  protected Shipping shipping = new Shipping();

  /** Options the reader already has, and their meter registry. */
  protected io.sagaflow.processor.ProcessorOptions<String, String> base;

  protected io.sagaflow.recovery.RecoveryOptions recovery;

  protected io.sagaflow.saga.SagaOptions sagas = io.sagaflow.saga.SagaOptions.defaults();

  protected io.micrometer.core.instrument.MeterRegistry registry =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  protected void bill(String key, Order value) {}

  protected void bill(Object record) {}

  protected String enrich(String value) {
    return value;
  }

  protected void log(Object o) {}
}
