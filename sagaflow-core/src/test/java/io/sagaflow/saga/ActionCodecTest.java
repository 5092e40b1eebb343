package io.sagaflow.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class ActionCodecTest {
  private final ActionCodec codec = ActionCodec.create();
  private final ObjectMapper mapper = new ObjectMapper();

  record Pizza(String size, int slices) {}

  @Test
  void encodesTheKafkaSagasFormatWithKeyAndHeaders() throws Exception {
    Action<Pizza> action = new Action<>("PIZZA_CREATE", "tx-1", new Pizza("L", 8),
        Map.of("trace", "abc".getBytes(StandardCharsets.UTF_8)));
    ProducerRecord<byte[], byte[]> record = codec.toRecord(action);
    assertThat(record.topic()).isEqualTo("PIZZA_CREATE");
    assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("tx-1");
    assertThat(mapper.readTree(record.value()))
        .isEqualTo(mapper.readTree("{\"transaction_id\":\"tx-1\",\"payload\":{\"size\":\"L\",\"slices\":8}}"));
    assertThat(record.headers().lastHeader("trace").value()).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void omitsAnAbsentPayload() throws Exception {
    byte[] value = codec.encodeValue(Action.of("T", "tx-2", null));
    assertThat(mapper.readTree(value)).isEqualTo(mapper.readTree("{\"transaction_id\":\"tx-2\"}"));
    Action<JsonNode> decoded = codec.decode("T", value, Map.of());
    assertThat(decoded.payload()).isNull();
    assertThat(decoded.transactionId()).isEqualTo("tx-2");
  }

  @Test
  void decodesARecordAndConvertsItsPayload() {
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("T", 0, 7L, null,
        "{\"transaction_id\":\"tx-3\",\"payload\":{\"size\":\"S\",\"slices\":4}}".getBytes(StandardCharsets.UTF_8));
    record.headers().add("h", new byte[] {1, 2});
    Action<JsonNode> action = codec.decode(record);
    assertThat(action.topic()).isEqualTo("T");
    assertThat(action.transactionId()).isEqualTo("tx-3");
    assertThat(action.headers().get("h")).containsExactly(1, 2);
    assertThat(codec.convert(action, Pizza.class).payload()).isEqualTo(new Pizza("S", 4));
  }

  @Test
  void rejectsValuesThatAreNotActionsWithClearMessages() {
    assertThatThrownBy(() -> decode(null))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("T-0@7 has no value");
    assertThatThrownBy(() -> decode("not json"))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("is not JSON");
    assertThatThrownBy(() -> decode("[1,2]"))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("not an object (ARRAY)");
    assertThatThrownBy(() -> decode("{\"payload\":1}"))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("has no transaction_id")
        .hasMessageContaining("{\"transaction_id\": \"...\", \"payload\": ...}");
    assertThatThrownBy(() -> decode("{\"transaction_id\":5}"))
        .isInstanceOf(ActionDecodingException.class).hasMessageContaining("invalid transaction_id (5)");
  }

  @Test
  void aPayloadOfTheWrongShapeIsADecodingError() {
    Action<JsonNode> action = decode("{\"transaction_id\":\"tx\",\"payload\":\"nope\"}");
    assertThatThrownBy(() -> codec.convert(action, Pizza.class))
        .isInstanceOf(ActionDecodingException.class)
        .hasMessageContaining("does not convert to " + Pizza.class.getName());
  }

  @Test
  void usesTheModulesAndFeaturesOfTheGivenMapper() throws Exception {
    com.fasterxml.jackson.databind.module.SimpleModule module = new com.fasterxml.jackson.databind.module.SimpleModule();
    module.addSerializer(Pizza.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(Pizza.class) {
      @Override
      public void serialize(Pizza p, com.fasterxml.jackson.core.JsonGenerator g,
          com.fasterxml.jackson.databind.SerializerProvider provider) throws java.io.IOException {
        g.writeString(p.size() + "/" + p.slices());
      }
    });
    ObjectMapper custom = new ObjectMapper().registerModule(module)
        .enable(com.fasterxml.jackson.databind.SerializationFeature.WRAP_ROOT_VALUE);
    ActionCodec c = ActionCodec.create(custom);
    byte[] value = c.encodeValue(Action.of("T", "tx-4", new Pizza("M", 6)));
    assertThat(mapper.readTree(value)).isEqualTo(mapper.readTree("{\"transaction_id\":\"tx-4\",\"payload\":\"M/6\"}"));
    assertThat(c.mapper()).isSameAs(custom);
    // Many threads encoding at once share the pooled buffers without mixing up their output.
    java.util.List<Thread> threads = new java.util.ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger bad = new java.util.concurrent.atomic.AtomicInteger();
    for (int t = 0; t < 8; t++) {
      int n = t;
      threads.add(Thread.ofVirtual().start(() -> {
        for (int i = 0; i < 500; i++) {
          String tx = "tx-" + n + "-" + i;
          Action<JsonNode> back = codec.decode("T", codec.encodeValue(Action.of("T", tx, Map.of("n", i))), Map.of());
          if (!back.transactionId().equals(tx) || back.payload().get("n").asInt() != i) {
            bad.incrementAndGet();
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(bad).hasValue(0);
  }

  private Action<JsonNode> decode(String value) {
    return codec.decode(new ConsumerRecord<>("T", 0, 7L, null,
        value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
  }
}
