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
  /** A secret from the reader's configuration. */
  protected String password = "secret";
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

  protected void bill(String key, Order value) {}

  protected String enrich(String value) {
    return value;
  }

  protected void log(Object o) {}
}
