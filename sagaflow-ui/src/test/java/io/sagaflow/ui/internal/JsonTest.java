package io.sagaflow.ui.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void responsesHoldNoMarkupCharactersYetDecodeToTheOriginalText() throws Exception {
    String evil = "<script>alert('x')</script> & \"quoted\"";
    byte[] bytes = Json.bytes(Json.object().put("v", evil));
    assertThat(new String(bytes, UTF_8)).doesNotContain("<", ">", "&", "'").contains("\\u003C");
    assertThat(new ObjectMapper().readTree(bytes).path("v").asText()).isEqualTo(evil);
  }

  @Test
  void previewsShowTextAsIsAndBinaryAsBase64_cutToTheirLimit() {
    assertThat(Json.preview("héllo".getBytes(UTF_8))).isEqualTo("héllo");
    assertThat(Json.preview(new byte[] {0, 1, (byte) 0xff})).isEqualTo("base64:AAH/ (3 bytes)");
    assertThat(Json.preview("x".repeat(Json.PREVIEW_CHARS + 5).getBytes(UTF_8))).hasSize(Json.PREVIEW_CHARS + 1).endsWith("…");
  }
}
