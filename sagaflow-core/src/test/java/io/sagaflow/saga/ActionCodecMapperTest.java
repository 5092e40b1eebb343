package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unknown payload fields with any mapper a user may pass; the user's mapper is never changed. */
class ActionCodecMapperTest {
  record Order(String pizza) {}

  private static final Action<Object> NODE_ORDER = Action.of("ORDERS", "tx", Map.of("pizza", "margherita", "size", "large"));

  @Test
  void aJsonMapperFromItsBuilderWorksAndUnknownFieldsAreIgnored() {
    JsonMapper mapper = JsonMapper.builder().build();
    ActionCodec codec = ActionCodec.create(mapper);
    assertThat(codec.convert(NODE_ORDER, Order.class).payload()).isEqualTo(new Order("margherita"));
    assertThatThrownBy(() -> codec.withStrictPayloads().convert(NODE_ORDER, Order.class))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("size");
    assertThat(mapper.isEnabled(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)).isTrue();
  }

  @Test
  void aMapperThatFailsOnUnknownFieldsIsLeftAsItWas() {
    ObjectMapper mapper = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    ActionCodec.create(mapper).withStrictPayloads().convert(Action.of("T", "tx", Map.of("pizza", "x")), Order.class);
    assertThat(mapper.isEnabled(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)).isFalse();
  }
}
