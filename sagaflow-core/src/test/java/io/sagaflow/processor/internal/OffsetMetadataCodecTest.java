package io.sagaflow.processor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class OffsetMetadataCodecTest {

  @Test
  void roundTripsRunsWithLargeOffsets() {
    long base = 9_000_000_000L;
    long[] runs = {1, 3, 200, 1, 0, 0, 5, 70_000};
    OffsetMetadataCodec.Encoded e = OffsetMetadataCodec.encode(base, runs, runs.length, 3000);
    assertThat(e.overflow()).isFalse();
    OffsetMetadataCodec.Ours ours = (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(e.metadata());
    assertThat(ours.base()).isEqualTo(base);
    assertThat(ours.finishedRanges())
        .containsExactly(base + 1, base + 4, base + 204, base + 205, base + 210, base + 70_210);
  }

  @Test
  void nothingFinishedAboveTheBaseEncodesAsEmpty() {
    assertThat(OffsetMetadataCodec.encode(5, new long[] {3, 0}, 2, 3000).metadata()).isEmpty();
    assertThat(OffsetMetadataCodec.decode("")).isInstanceOf(OffsetMetadataCodec.Empty.class);
    assertThat(OffsetMetadataCodec.decode(null)).isInstanceOf(OffsetMetadataCodec.Empty.class);
  }

  @Test
  void capOverflowKeepsAPrefixUnderTheCap() {
    long[] runs = new long[4000];
    java.util.Arrays.fill(runs, 1);
    OffsetMetadataCodec.Encoded e = OffsetMetadataCodec.encode(0, runs, runs.length, 1000);
    assertThat(e.overflow()).isTrue();
    assertThat(e.metadata().length()).isLessThanOrEqualTo(1000);
    OffsetMetadataCodec.Ours ours = (OffsetMetadataCodec.Ours) OffsetMetadataCodec.decode(e.metadata());
    assertThat(ours.rangeCount()).isGreaterThan(300);
    assertThat(ours.finishedRanges()[0]).isEqualTo(1);
  }

  @Test
  void parallelConsumerMetadataIsRecognisedAsForeign() {
    // Parallel Consumer: base64 of a magic/encoding byte followed by its payload.
    byte[] payload = {'b', 0x01, 0x00, 0x10, (byte) 0xFF, 0x7F, 0x00};
    String pc = Base64.getEncoder().encodeToString(payload);
    assertThat(OffsetMetadataCodec.decode(pc)).isInstanceOf(OffsetMetadataCodec.Foreign.class);
    assertThat(OffsetMetadataCodec.decode("some free text from another tool"))
        .isInstanceOf(OffsetMetadataCodec.Foreign.class);
  }

  @Test
  void corruptPayloadAfterOurPrefixIsForeignNotAnException() {
    assertThat(OffsetMetadataCodec.decode("sf1:!!!")).isInstanceOf(OffsetMetadataCodec.Foreign.class);
    // Truncated varint.
    String truncated = "sf1:" + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {(byte) 0x80});
    assertThat(OffsetMetadataCodec.decode(truncated)).isInstanceOf(OffsetMetadataCodec.Foreign.class);
    // A zero-length finished run is never written by us.
    String zeroRun = "sf1:" + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {5, 1, 0});
    assertThat(OffsetMetadataCodec.decode(zeroRun)).isInstanceOf(OffsetMetadataCodec.Foreign.class);
    // A future version is not misread.
    assertThat(OffsetMetadataCodec.decode("sf2:" + Base64.getEncoder().encodeToString(
        "x".getBytes(StandardCharsets.UTF_8)))).isInstanceOf(OffsetMetadataCodec.Foreign.class);
  }
}
