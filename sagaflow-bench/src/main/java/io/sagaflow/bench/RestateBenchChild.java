package io.sagaflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.restate.common.Request;
import dev.restate.common.Target;
import dev.restate.sdk.Context;
import dev.restate.sdk.HandlerRunner;
import dev.restate.sdk.endpoint.Endpoint;
import dev.restate.sdk.endpoint.definition.HandlerDefinition;
import dev.restate.sdk.endpoint.definition.HandlerType;
import dev.restate.sdk.endpoint.definition.ServiceDefinition;
import dev.restate.sdk.endpoint.definition.ServiceType;
import dev.restate.sdk.http.vertx.RestateHttpServer;
import dev.restate.serde.Serde;
import dev.restate.serde.SerdeFactory;
import io.sagaflow.saga.Action;
import io.sagaflow.saga.ActionCodec;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Restate peer's service JVM in {@code bench durable}: the three-step saga written the way a Restate
 * user writes it, served over HTTP by the Java SDK for the Restate server to call.
 *
 * <ul>
 *   <li>{@code BenchSaga/run}, invoked by the server's Kafka subscription on {@code <prefix>-in} with the
 *       record's value: two request/reply calls to {@code BenchEcho/echo} (the SDK's durable request/response
 *       call: the server journals the call and its result), then the output in a durable {@code ctx.run}
 *       that produces to {@code <prefix>-out} and waits for the broker's acknowledgement, so the step is
 *       journaled done only once the output is written;</li>
 *   <li>{@code BenchEcho/echo}, the participant: answers with its request.</li>
 * </ul>
 *
 * <p>Restate has no Kafka egress, so a side effect in {@code ctx.run} is how its users write to Kafka. Its
 * guarantee is at-least-once (a retried run writes again); the benchmark's output reader counts each saga
 * once. The services are defined with the SDK's programmatic definitions ({@code ServiceDefinition}), which
 * is what its annotation processor generates for {@code @Service} classes: same runner, same protocol, no
 * code generation in this build. Prints {@code READY <port>} once it listens; exits when standard input
 * closes.
 *
 * <p>Handlers run on virtual threads ({@code HandlerRunner.Options.withExecutor(
 * Executors.newVirtualThreadPerTaskExecutor())}), as the SDK's Javadoc of {@code HandlerRunner.Options}
 * suggests and as SDK 2.6 does by default on Java 21+. SDK 2.4.0's default is one cached pool of platform
 * threads, and a blocking handler holds its thread while it awaits a call: with 20,000 sagas started at
 * once the server invokes {@code run} for all of them (its admin query showed 20,000 running), this JVM
 * grew past 16,000 threads, creating them blocked Vert.x's event loop for seconds, and the machine's
 * thread limit ({@code kernel.pid_max} 32,768 here, shared by every process) ran out: {@code
 * OutOfMemoryError: unable to create native thread}. A Restate user on Java 21 runs blocking handlers on
 * virtual threads at that concurrency. The HTTP server's options keep Vert.x's defaults, whose HTTP/2
 * stream limit (2^32 - 1) is no lower than the SDK's own default options' ({@code Integer.MAX_VALUE}).
 */
@Command(name = "restate-bench-child", mixinStandardHelpOptions = true)
public final class RestateBenchChild implements Callable<Integer> {
  static final String SAGA_SERVICE = "BenchSaga";
  static final String SAGA_HANDLER = "run";
  static final String ECHO_SERVICE = "BenchEcho";
  static final String ECHO_HANDLER = "echo";

  @Option(names = "--bootstrap-servers", required = true)
  String bootstrapServers;

  @Option(names = "--out", required = true, description = "The output topic")
  String outTopic;

  private RestateBenchChild() {}

  public static void main(String[] args) {
    int code = new CommandLine(new RestateBenchChild()).execute(args);
    Runtime.getRuntime().halt(code);
  }

  @Override
  public Integer call() throws Exception {
    ActionCodec codec = ActionCodec.create();
    // Not closed: close() would wait for handlers still blocked in an await; the JVM halts when this returns.
    ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrapServers,
        "client.id", "bench-restate-output"), new ByteArraySerializer(), new ByteArraySerializer())) {
      HandlerRunner.Options options = HandlerRunner.Options.withExecutor(handlers);
      Target echo = Target.service(ECHO_SERVICE, ECHO_HANDLER);
      ServiceDefinition saga = ServiceDefinition.of(SAGA_SERVICE, ServiceType.SERVICE, List.of(
          HandlerDefinition.of(SAGA_HANDLER, HandlerType.SHARED, Serde.RAW, Serde.VOID,
              HandlerRunner.of((Context ctx, byte[] input) -> {
                byte[] first = ctx.call(Request.of(echo, input)).await();
                byte[] second = ctx.call(Request.of(echo, first)).await();
                ctx.run("output", () -> {
                  producer.send(output(codec, second)).get();
                });
              }, SerdeFactory.NOOP, options))));
      ServiceDefinition participant = ServiceDefinition.of(ECHO_SERVICE, ServiceType.SERVICE, List.of(
          HandlerDefinition.of(ECHO_HANDLER, HandlerType.SHARED, Serde.RAW, Serde.RAW,
              HandlerRunner.of((Context ctx, byte[] request) -> request, SerdeFactory.NOOP, options))));
      Endpoint endpoint = Endpoint.builder().bind(saga).bind(participant).build();
      HttpServer server = RestateHttpServer.fromEndpoint(endpoint,
          new HttpServerOptions().setHost("127.0.0.1").setPort(0));
      int port = server.listen().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).actualPort();
      System.out.println("READY " + port);
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        // nothing to answer: the parent closes standard input to stop this JVM
      }
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** The output record: the input's transaction id and payload, encoded as Sagaflow's reader expects. */
  private ProducerRecord<byte[], byte[]> output(ActionCodec codec, byte[] value) {
    Action<JsonNode> action = codec.decode(outTopic, value, Map.of());
    return codec.toRecord(Action.of(outTopic, action.transactionId(), action.payload()));
  }
}
