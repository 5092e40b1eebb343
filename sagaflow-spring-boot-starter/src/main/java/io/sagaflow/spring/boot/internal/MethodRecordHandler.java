package io.sagaflow.spring.boot.internal;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.processor.RecordHandler;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Type;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.util.ReflectionUtils;

/**
 * Calls a {@code @SagaflowListener} method for each record. The method's own exception is thrown
 * as it is (not wrapped in an {@link InvocationTargetException}), so that the recovery pipeline and
 * the dead-letter headers see the real exception class.
 */
public final class MethodRecordHandler implements RecordHandler<Object, Object> {
  private final ListenerEndpoint endpoint;
  private final List<Boolean> arguments;

  /** A handler of {@code endpoint}'s method. */
  public MethodRecordHandler(ListenerEndpoint endpoint) {
    this.endpoint = endpoint;
    this.arguments = endpoint.arguments();
    ReflectionUtils.makeAccessible(endpoint.method());
  }

  @Override
  public void handle(ProcessorRecord<Object, Object> record) throws Exception {
    Object[] args = new Object[arguments.size()];
    for (int i = 0; i < args.length; i++) {
      args[i] = arguments.get(i) ? record : record.value();
    }
    try {
      endpoint.method().invoke(endpoint.bean(), args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /**
   * How a key or value of {@code type} is read: a String as UTF-8, a byte[] as it is, anything else
   * from JSON with {@code mapper}.
   */
  @SuppressWarnings("unchecked")
  public static Deserializer<Object> deserializer(Type type, ObjectMapper mapper) {
    if (type == String.class) {
      return (Deserializer<Object>) (Deserializer<?>) new StringDeserializer();
    }
    if (type == byte[].class) {
      return (Deserializer<Object>) (Deserializer<?>) new ByteArrayDeserializer();
    }
    return new JsonDeserializer(mapper, mapper.constructType(type));
  }

  /** JSON to a Jackson type; a value that does not map is a {@link SerializationException} (dead-lettered at once). */
  private record JsonDeserializer(ObjectMapper mapper, JavaType type) implements Deserializer<Object> {
    @Override
    public Object deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try {
        return mapper.readValue(data, type);
      } catch (IOException e) {
        throw new SerializationException("a record of " + topic + " is not JSON of " + type.toCanonical() + ": "
            + e.getMessage(), e);
      }
    }
  }
}
