package io.sagaflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SegmentsTest {

  @Test
  void summarizesEachSegmentInMillisecondsAndCountsAsTheyAre() {
    Segments segments = new Segments();
    for (int i = 1; i <= 2000; i++) { // past the first array's 1,024 values
      segments.add("start->reply", i * 1_000_000L); // 1..2000 ms
    }
    segments.count("records", 7);
    segments.count("records", 3);

    assertThat(segments.drain()).containsExactly(
        "BREAKDOWN start->reply n=2000 p50_ms=1000.00 p90_ms=1800.00 p99_ms=1980.00 max_ms=2000.00",
        "BREAKDOWN records n=2 p50=3.00 p90=7.00 p99=7.00 max=7.00");
  }

  @Test
  void drainForgetsWhatItReported() {
    Segments segments = new Segments();
    segments.add("a", 5_000_000L);
    segments.drain();

    assertThat(segments.drain()).isEmpty();
    segments.add("b", 2_000_000L);
    assertThat(segments.drain()).containsExactly("BREAKDOWN b n=1 p50_ms=2.00 p90_ms=2.00 p99_ms=2.00 max_ms=2.00");
  }
}
