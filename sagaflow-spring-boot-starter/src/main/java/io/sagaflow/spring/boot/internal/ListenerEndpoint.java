package io.sagaflow.spring.boot.internal;

import io.sagaflow.processor.Ordering;
import io.sagaflow.processor.ProcessorRecord;
import io.sagaflow.spring.boot.SagaflowListener;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One {@code @SagaflowListener} method, checked and with its placeholders resolved: what the container
 * needs to build its processors.
 *
 * @param id the processor's name, {@code <bean>.<method>} unless the annotation names it
 * @param bean the bean to invoke (a proxy when the bean is proxied)
 * @param method the method to invoke on it
 * @param topics the topics
 * @param groupId the group, or empty for the default
 * @param cluster the cluster name, or empty for the default
 * @param ordering the ordering, or null for the default
 * @param concurrency the in-flight bound, or null for the default
 * @param consumers the number of KafkaConsumers, or null for the default
 * @param retry the retry policy's name, or empty for the default
 * @param keyType the key type (String unless a ProcessorRecord parameter says otherwise)
 * @param valueType the value type
 * @param arguments for each method parameter, whether it takes the record (true) or the value
 */
public record ListenerEndpoint(String id, Object bean, Method method, List<String> topics, String groupId,
    String cluster, Ordering ordering, Integer concurrency, Integer consumers, String retry, Type keyType,
    Type valueType, List<Boolean> arguments) {

  /**
   * Checks {@code method} and resolves the annotation's placeholders with {@code resolve}.
   *
   * @throws IllegalStateException naming the method and what to change
   */
  public static ListenerEndpoint of(String beanName, Object bean, Method method, SagaflowListener a,
      UnaryOperator<String> resolve) {
    String where = "@SagaflowListener method " + method.getDeclaringClass().getSimpleName() + "." + method.getName();
    if (method.getReturnType() != void.class) {
      throw new IllegalStateException(where + " must return void (a return value would be ignored); send outputs"
          + " with ProcessorRecord.send(...)");
    }
    Type[] params = method.getGenericParameterTypes();
    if (params.length == 0 || params.length > 2) {
      throw new IllegalStateException(where + " must take the record's value, a ProcessorRecord<K, V>, or both;"
          + " it takes " + params.length + " parameters");
    }
    Type keyType = String.class;
    Type valueType = null;
    Type recordValueType = null;
    Boolean[] arguments = new Boolean[params.length];
    for (int i = 0; i < params.length; i++) {
      Type t = params[i];
      Class<?> raw = t instanceof ParameterizedType pt ? (Class<?>) pt.getRawType() : t instanceof Class<?> c ? c : null;
      if (raw == ProcessorRecord.class) {
        if (recordValueType != null) {
          throw new IllegalStateException(where + " takes two ProcessorRecord parameters; take one");
        }
        if (!(t instanceof ParameterizedType pt)) {
          throw new IllegalStateException(where + " takes a raw ProcessorRecord: give its types, e.g."
              + " ProcessorRecord<String, Order>, so that key and value can be read");
        }
        keyType = pt.getActualTypeArguments()[0];
        recordValueType = pt.getActualTypeArguments()[1];
        arguments[i] = true;
      } else {
        if (valueType != null) {
          throw new IllegalStateException(where + " takes two value parameters; take the value and/or a"
              + " ProcessorRecord<K, V>");
        }
        valueType = t;
        arguments[i] = false;
      }
    }
    if (valueType != null && recordValueType != null && !valueType.equals(recordValueType)) {
      throw new IllegalStateException(where + " takes a value of type " + valueType.getTypeName()
          + " and a ProcessorRecord whose value is " + recordValueType.getTypeName() + "; make them the same");
    }
    Type value = valueType != null ? valueType : recordValueType;
    for (Type t : List.of(keyType, value)) {
      if (!(t instanceof Class<?>) && !(t instanceof ParameterizedType)) {
        throw new IllegalStateException(where + " reads a key or value as " + t.getTypeName()
            + ", which is not a concrete type; name one (String, byte[], or a JSON-mapped class)");
      }
    }
    List<String> topics = Arrays.stream(a.topics()).map(resolve).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (topics.isEmpty()) {
      throw new IllegalStateException(where + " names no topics: set topics = \"...\"");
    }
    if (a.ordering().length > 1) {
      throw new IllegalStateException(where + " names " + a.ordering().length + " orderings; name one");
    }
    String id = a.id().isEmpty() ? beanName + "." + method.getName() : resolve.apply(a.id());
    return new ListenerEndpoint(id, bean, method, topics, resolve.apply(a.groupId()), resolve.apply(a.cluster()),
        a.ordering().length == 0 ? null : a.ordering()[0], number(where, "concurrency", resolve.apply(a.concurrency())),
        number(where, "consumers", resolve.apply(a.consumers())), resolve.apply(a.retry()), keyType, value,
        List.of(arguments));
  }

  private static Integer number(String where, String name, String text) {
    if (text.isBlank()) {
      return null;
    }
    try {
      return Integer.valueOf(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalStateException(where + ": " + name + " ('" + text + "') must be a whole number", e);
    }
  }

  /** Where it is declared, for messages. */
  public String where() {
    return "@SagaflowListener " + id;
  }
}
