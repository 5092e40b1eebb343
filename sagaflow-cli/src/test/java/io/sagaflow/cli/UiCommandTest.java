package io.sagaflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** {@code sagaflow ui}: starts, prints its URL, serves read-only by default, stops when interrupted. */
class UiCommandTest {

  @Test
  void servesThePageAtThePrintedUrlUntilStopped() throws Exception {
    int noBroker;
    try (ServerSocket s = new ServerSocket(0)) {
      noBroker = s.getLocalPort(); // the page and /api/info answer without Kafka
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = SagaflowCli.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    AtomicInteger code = new AtomicInteger(-1);
    Thread running = Thread.ofPlatform().name("ui-command").start(() -> code.set(cmd.execute("ui", "--port", "0",
        "--bootstrap-servers", "127.0.0.1:" + noBroker)));
    Pattern url = Pattern.compile("Sagaflow inspector: (http://127\\.0\\.0\\.1:\\d+/) +\\(Kafka 127\\.0\\.0\\.1:"
        + noBroker + ", read-only\\)");
    await("the URL").atMost(Duration.ofSeconds(20)).until(() -> url.matcher(out.toString()).find());
    Matcher m = url.matcher(out.toString());
    assertThat(m.find()).isTrue();
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(m.group(1))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<title>Sagaflow inspector</title>");
      HttpResponse<String> info = http.send(HttpRequest.newBuilder(URI.create(m.group(1) + "api/info")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(info.body()).contains("\"allowReplay\":false");
    } finally {
      running.interrupt();
      running.join(Duration.ofSeconds(30));
    }
    assertThat(running.isAlive()).as("stopped").isFalse();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aTakenPortIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      StringWriter err = new StringWriter();
      CommandLine cmd = SagaflowCli.newCommandLine();
      cmd.setErr(new PrintWriter(err, true));
      cmd.setOut(new PrintWriter(new StringWriter(), true));
      int code = cmd.execute("ui", "--port", Integer.toString(taken.getLocalPort()));
      assertThat(code).isEqualTo(1);
      assertThat(err.toString()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort(), "pick another with --port");
    }
  }
}
