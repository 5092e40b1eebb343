package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sagaflow.kafka.KafkaCluster;
import io.sagaflow.ui.UiOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the inspector, on the JDK's {@link HttpServer}: the page's static files and the
 * JSON API it polls.
 *
 * <p>Every handler answers: a bad request is a 400 or 404 with a message, Kafka being unreachable a
 * 503 with a message, anything else a 500 with the exception's class and message; the page shows
 * them. Security: the page gets the bootstrap servers and security protocol, never the client
 * properties; every response forbids framing and sniffing and the page runs under a
 * Content-Security-Policy that allows no inline script; the only state-changing request (replay)
 * needs {@code --allow-replay}, a POST with a custom header (which a cross-site form cannot send)
 * and, like every request, a Host header naming this server when it listens on loopback (against
 * DNS rebinding).
 */
public final class UiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UiServer.class);
  private static final String STATIC = "/io/sagaflow/ui/static/";
  private static final Map<String, String> FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "app.js", "text/javascript; charset=utf-8",
      "app.css", "text/css; charset=utf-8");
  /** The header a replay request must carry. */
  static final String ACTION_HEADER = "X-Sagaflow-Action";

  private final UiOptions options;
  private final KafkaCluster cluster;
  private final JournalIndex journal;
  private final GroupsView groups;
  private final DeadLettersView deadLetters;
  private final HttpServer server;
  private final ExecutorService executor;
  private final boolean loopback;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private UiServer(UiOptions options, KafkaCluster cluster, HttpServer server, ExecutorService executor,
      boolean loopback) {
    this.options = options;
    this.cluster = cluster;
    this.server = server;
    this.executor = executor;
    this.loopback = loopback;
    Duration timeout = options.timeout();
    this.journal = new JournalIndex(cluster, options.refresh(), timeout);
    this.groups = new GroupsView(cluster, timeout);
    this.deadLetters = new DeadLettersView(cluster, timeout);
  }

  /** Binds, starts the journal reader and serves. */
  public static UiServer start(UiOptions options) {
    InetAddress address;
    try {
      address = InetAddress.getByName(options.bind());
    } catch (IOException e) {
      throw new IllegalArgumentException("--bind " + options.bind() + " is not an address of this machine: " + e.getMessage());
    }
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(address, options.port()), 0);
    } catch (BindException e) {
      throw new IllegalStateException("cannot listen on " + options.bind() + ":" + options.port() + " (" + e.getMessage()
          + "): another program uses the port; pick another with --port");
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + options.bind() + ":" + options.port() + ": " + e.getMessage(), e);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
        r -> Thread.ofPlatform().name("sagaflow-ui-http-" + n.incrementAndGet()).daemon().unstarted(r));
    executor.prestartAllCoreThreads(); // all made now, by whoever starts the server, not by a later request
    KafkaCluster cluster = KafkaCluster.create(options.cluster());
    UiServer ui = new UiServer(options, cluster, http, executor, address.isLoopbackAddress());
    http.createContext("/", ui::handle);
    http.setExecutor(executor);
    ui.journal.start();
    http.start();
    return ui;
  }

  public URI url() {
    String host = server.getAddress().getAddress().isAnyLocalAddress() ? "127.0.0.1" : options.bind();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/");
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      try {
        route(ex);
      } catch (IllegalArgumentException e) {
        error(ex, 400, e.getMessage());
      } catch (NotFound e) {
        error(ex, 404, e.getMessage());
      } catch (Forbidden e) {
        error(ex, 403, e.getMessage());
      } catch (ExecutionException | TimeoutException | KafkaException | IllegalStateException e) {
        error(ex, 503, "Kafka at " + options.cluster().bootstrapServers() + " did not answer: "
            + JournalIndex.rootMessage(e) + ". Is the broker up? The page retries on its own.");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        error(ex, 503, "the server is stopping");
      } catch (IOException e) {
        LOG.debug("could not answer {}", ex.getRequestURI(), e); // the browser went away mid-answer
      } catch (Exception e) {
        LOG.warn("request {} failed", ex.getRequestURI().getPath(), e);
        error(ex, 500, "the server failed to answer: " + e);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer {}", ex.getRequestURI(), e); // the browser went away
    }
  }

  private void route(HttpExchange ex) throws Exception {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    checkHost(ex);
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    if (method.equals("POST") && path.equals("/api/dlq/replay")) {
      replay(ex);
      return;
    }
    if (!method.equals("GET")) {
      throw new Forbidden(method + " " + path + " is not allowed: the page is read-only");
    }
    switch (path) {
      case "/", "/index.html" -> file(ex, "index.html");
      case "/static/app.js" -> file(ex, "app.js");
      case "/static/app.css" -> file(ex, "app.css");
      case "/api/info" -> json(ex, 200, info());
      case "/api/sagas" -> json(ex, 200, sagas(q.get("status"), q.get("saga"), q.get("topic"), q.get("q")));
      case "/api/saga" -> json(ex, 200, saga(required(q, "journal"), required(q, "key")));
      case "/api/groups" -> json(ex, 200, groups.render());
      case "/api/dlq/topics" -> {
        ObjectNode n = Json.object();
        deadLetters.topics().forEach(n.putArray("topics")::add);
        json(ex, 200, n);
      }
      case "/api/dlq" -> json(ex, 200, deadLetters.list(required(q, "topic"),
          DeadLettersView.filter(q.get("exception"), q.get("key"))));
      case "/api/dlq/replay" -> json(ex, 200, deadLetters.progress(number(required(q, "id"))));
      default -> throw new NotFound("nothing at " + path);
    }
  }

  private ObjectNode info() {
    ObjectNode n = Json.object();
    n.put("bootstrapServers", options.cluster().bootstrapServers());
    n.put("securityProtocol", options.cluster().securityProtocol());
    n.put("allowReplay", options.allowReplay());
    n.put("refreshMillis", options.refresh().toMillis());
    n.put("problem", journal.problem());
    journal.topics().stream().sorted().forEach(n.putArray("journalTopics")::add);
    return n;
  }

  private ObjectNode sagas(String status, String saga, String topic, String search) {
    List<SagaRun> all = journal.runs();
    ObjectNode n = Json.object();
    n.put("problem", journal.problem());
    n.put("total", all.size());
    Set<String> names = new TreeSet<>();
    Set<String> topics = new TreeSet<>();
    Map<String, Integer> counts = new HashMap<>();
    ArrayNode runs = n.putArray("runs");
    int shown = 0;
    for (SagaRun r : all) {
      if (r.sagaName() != null) {
        names.add(r.sagaName());
      }
      if (r.inputTopic() != null) {
        topics.add(r.inputTopic());
      }
      counts.merge(r.status(), 1, Integer::sum);
      if (r.matches(status, saga, topic, search) && shown++ < 1000) {
        runs.add(r.summary());
      }
    }
    n.put("matched", shown);
    names.forEach(n.putArray("sagas")::add);
    topics.forEach(n.putArray("topics")::add);
    ObjectNode c = n.putObject("counts");
    counts.forEach(c::put);
    if (shown == 0 && search != null && !search.isBlank()) {
      n.put("message", "no saga run has a transaction id like \"" + search.trim() + "\""
          + (status != null && !status.isBlank() || saga != null && !saga.isBlank()
              || topic != null && !topic.isBlank() ? " among the runs the filters select" : "")
          + (journal.topics().isEmpty() ? " (no journal topic *" + JournalIndex.SUFFIX + " exists yet)" : ""));
    }
    return n;
  }

  private ObjectNode saga(String journalTopic, String runKey) {
    for (SagaRun r : journal.runs()) {
      if (r.journalTopic().equals(journalTopic) && r.runKey().equals(runKey)) {
        ObjectNode n = r.detail(Instant.now());
        n.put("problem", journal.problem());
        return n;
      }
    }
    throw new NotFound("no saga run " + runKey + " in " + journalTopic + " (it may have been compacted away)");
  }

  private void replay(HttpExchange ex) throws Exception {
    if (!options.allowReplay()) {
      throw new Forbidden("replay is off: the page is read-only; start `sagaflow ui` with --allow-replay to allow it");
    }
    if (!"replay".equals(ex.getRequestHeaders().getFirst(ACTION_HEADER))) {
      throw new Forbidden("a replay request needs the header " + ACTION_HEADER + ": replay (the page sends it)");
    }
    JsonNode body;
    try (InputStream in = ex.getRequestBody()) {
      body = Json.parse(in.readNBytes(64 * 1024));
    }
    String topic = body.path("topic").asText("");
    if (topic.isBlank()) {
      throw new IllegalArgumentException("a replay needs a topic");
    }
    long id = deadLetters.replay(topic, DeadLettersView.filter(body.path("exception").asText(null),
        body.path("key").isTextual() ? body.path("key").asText() : null));
    json(ex, 202, Json.object().put("id", id));
  }

  private void checkHost(HttpExchange ex) {
    if (!loopback) {
      return;
    }
    String host = ex.getRequestHeaders().getFirst("Host");
    String bare = host == null ? "" : host.replaceFirst(":\\d+$", "");
    if (!(bare.equals("127.0.0.1") || bare.equals("localhost") || bare.equals("[::1]")
        || bare.equals(options.bind()))) {
      throw new Forbidden("this server answers requests for this machine only (Host " + host + ")");
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  private static String required(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("the request needs the parameter " + name);
    }
    return v;
  }

  private static long number(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + s + "\" is not a number");
    }
  }

  private void file(HttpExchange ex, String name) throws IOException {
    byte[] body;
    try (InputStream in = UiServer.class.getResourceAsStream(STATIC + name)) {
      if (in == null) {
        throw new NotFound(name + " is missing from the jar");
      }
      body = in.readAllBytes();
    }
    send(ex, 200, FILES.get(name), body);
  }

  private static void json(HttpExchange ex, int status, JsonNode node) throws IOException {
    send(ex, status, "application/json; charset=utf-8", Json.bytes(node));
  }

  private static void error(HttpExchange ex, int status, String message) throws IOException {
    json(ex, status, Json.object().put("error", message));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    var h = ex.getResponseHeaders();
    h.set("Content-Type", type);
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdown(); // requests in flight finish (each waits for Kafka at most options.timeout())
    journal.close();
    deadLetters.close();
    try {
      if (!executor.awaitTermination(options.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    // Only reads can be pending (this cluster's clients write nothing): drop them rather than wait
    // for a broker that may be gone.
    cluster.close(Duration.ofMillis(500));
  }

  /** Answered with 404 and its message. */
  private static final class NotFound extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotFound(String message) {
      super(message, null, false, false);
    }
  }

  /** Answered with 403 and its message. */
  private static final class Forbidden extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Forbidden(String message) {
      super(message, null, false, false);
    }
  }
}
