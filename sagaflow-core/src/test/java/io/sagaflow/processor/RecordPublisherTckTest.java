package io.sagaflow.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sagaflow.embedded.EmbeddedKafka;
import io.sagaflow.embedded.LeakCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK (TestNG, run on the JUnit Platform by the TestNG engine) against
 * {@link Processor#forPublisher}.
 *
 * <p>A processor's stream never ends by itself: it completes when the processor is closed. So each
 * publisher of {@code n} elements is a processor over a fresh topic holding exactly {@code n}
 * records, wrapped by {@link FiniteTopic}, which subscribes the TCK's subscriber directly (the
 * subscription it gets is the processor's own) and closes the processor once {@code n} records were
 * delivered. Every signal the TCK sees is the processor's.
 *
 * <p>The failed publisher is a processor whose topic name Kafka rejects: its poll loop stops with
 * that error before fetching anything, and the publisher signals it with {@code onError}.
 *
 * <p>The multi-subscriber rules (1.11, optional) are reported as skipped: the publisher accepts one
 * subscriber and rejects others with {@code onError} (rule 1.9), as its Javadoc says.
 *
 * <p>Time. Rule 1.3's stochastic test makes 100 publishers of 10 elements (the TCK fixes both), so
 * each publisher's fixed costs count a hundred times: one admin client and one producer serve every
 * topic, a topic's records are sent together, and the processors' consumers set {@code
 * fetch.max.wait.ms} low. With Kafka's default (500 ms) each close waited that long for the fetch
 * the broker was holding open on an idle topic, and a stream here completes only when its
 * processor has closed. No TCK timeout or element count is lowered.
 */
public class RecordPublisherTckTest extends FlowPublisherVerification<ProcessorRecord<String, String>> {
  /** Kafka round trips: a processor joins its group and fetches before the first element. */
  private static final long TIMEOUT_MILLIS = 20_000;
  /** How long the TCK waits to be sure that a signal does not come. */
  private static final long NO_SIGNALS_MILLIS = 300;
  /**
   * How long the TCK waits for an expected onError (rules 3.9, 1.9: request(0), request(-1), a
   * failed publisher). Not a polling interval, as its name says: TCK 1.0.4's
   * {@code Receptacle.expectError} sleeps this long once and then fails, because it computes the
   * time left as {@code -now - before} (always negative) instead of subtracting the time elapsed.
   * So this is the whole timeout of those three checks, and each takes this long even when the
   * error came at once: 10 ms failed once under load (spec309, request(0)).
   */
  private static final long POLL_MILLIS = 500;
  /** The largest publisher the TCK may ask for: that many records are produced for it. */
  private static final long MAX_ELEMENTS = 100;

  private static final AtomicInteger SEQ = new AtomicInteger();

  private EmbeddedKafka kafka;
  private KafkaProducer<byte[], byte[]> producer;
  private Admin admin;
  private LeakCheck.Snapshot beforeClass;
  private final List<Processor<String, String>> processors = new CopyOnWriteArrayList<>();

  public RecordPublisherTckTest() {
    super(new TestEnvironment(TIMEOUT_MILLIS, NO_SIGNALS_MILLIS, POLL_MILLIS), 2_000);
  }

  @BeforeClass
  public void startBroker() {
    beforeClass = LeakCheck.Snapshot.take();
    kafka = EmbeddedKafka.start();
    producer = KafkaTestSupport.producer(kafka);
    admin = Admin.create(kafka.clientProperties());
  }

  @AfterMethod
  public void closeProcessors() throws InterruptedException {
    for (Processor<String, String> p : processors) {
      p.close(Duration.ofSeconds(20));
    }
    processors.clear();
  }

  @AfterClass
  public void stopBrokerAndCheckForLeaks() throws InterruptedException {
    producer.close();
    admin.close();
    kafka.close();
    assertThat(beforeClass.threadsLeft(LeakCheck.GRACE, false)).as("threads left running").isEmpty();
    assertThat(beforeClass.portsLeftListening()).as("ports left listening").isEmpty();
  }

  @Override
  public long maxElementsFromPublisher() {
    return MAX_ELEMENTS;
  }

  @Override
  public Flow.Publisher<ProcessorRecord<String, String>> createFlowPublisher(long elements) {
    String topic = "tck-" + SEQ.incrementAndGet();
    try {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
      // One partition, an idempotent producer: sent together, the records keep their order.
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (long i = 0; i < elements; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, 0, KafkaTestSupport.bytes("k" + i),
            KafkaTestSupport.bytes("v" + i))));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not produce the records of " + topic, e);
    }
    return new FiniteTopic(processor(topic), elements);
  }

  @Override
  public Flow.Publisher<ProcessorRecord<String, String>> createFailedFlowPublisher() {
    // Not a legal topic name: the consumer refuses the subscription, and the poll loop stops with it.
    Processor<String, String> p = processor("not a topic name!");
    return subscriber -> {
      p.publisher().subscribe(subscriber);
      p.start();
    };
  }

  @Override
  public void optional_spec111_maySupportMultiSubscribe() {
    throw new org.testng.SkipException("one subscriber per processor (rule 1.9 rejects others with onError)");
  }

  private Processor<String, String> processor(String topic) {
    ProcessorOptions<String, String> options = ProcessorOptions.create(kafka.bootstrapServers(),
            "tck-g-" + SEQ.incrementAndGet(), new StringDeserializer(), new StringDeserializer())
        .withTopics(topic)
        .withPublisherPrefetch(16)
        .withCommitInterval(Duration.ofMillis(100))
        // A close waits for the fetch the broker holds open on the drained topic: see the class note.
        .withKafkaProperty("fetch.max.wait.ms", 10)
        .withShutdownTimeout(Duration.ofSeconds(10));
    Processor<String, String> p = Processor.forPublisher(options);
    processors.add(p);
    return p;
  }

  /**
   * A processor over a topic of {@code elements} records that closes itself (so that its publisher
   * completes) once it delivered them all. The first subscriber gets the processor's subscription
   * itself; records are acknowledged as they pass.
   */
  private static final class FiniteTopic implements Flow.Publisher<ProcessorRecord<String, String>> {
    private final Processor<String, String> processor;
    private final long elements;
    private final AtomicInteger subscribers = new AtomicInteger();

    FiniteTopic(Processor<String, String> processor, long elements) {
      this.processor = processor;
      this.elements = elements;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ProcessorRecord<String, String>> subscriber) {
      if (subscriber == null || subscribers.getAndIncrement() > 0) {
        processor.publisher().subscribe(subscriber); // the processor's own checks (rules 1.9, 2.13)
        return;
      }
      processor.publisher().subscribe(new Counting(subscriber));
      processor.start();
      if (elements == 0) {
        closeSoon();
      }
    }

    private void closeSoon() {
      Thread.ofPlatform().name("tck-closer").start(() -> processor.close(Duration.ofSeconds(10)));
    }

    /** Passes every signal on unchanged (the subscription too); acks records and counts them. */
    private final class Counting implements Flow.Subscriber<ProcessorRecord<String, String>> {
      private final AtomicLong delivered = new AtomicLong();
      private final Flow.Subscriber<? super ProcessorRecord<String, String>> downstream;

      Counting(Flow.Subscriber<? super ProcessorRecord<String, String>> downstream) {
        this.downstream = downstream;
      }

      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        downstream.onSubscribe(subscription);
      }

      @Override
      public void onNext(ProcessorRecord<String, String> item) {
        item.ack();
        downstream.onNext(item);
        if (delivered.incrementAndGet() == elements) {
          closeSoon();
        }
      }

      @Override
      public void onError(Throwable t) {
        downstream.onError(t);
      }

      @Override
      public void onComplete() {
        downstream.onComplete();
      }
    }
  }
}
