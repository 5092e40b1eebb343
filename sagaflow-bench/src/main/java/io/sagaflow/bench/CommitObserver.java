package io.sagaflow.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;

/**
 * Wraps a peer's {@link Consumer} so that we see which offsets it committed and when the broker acknowledged
 * them, without changing what it does.
 *
 * <p>Design note. Parallel Consumer takes the {@code Consumer} instance in its options and Spring Kafka lets a
 * {@code ConsumerPostProcessor} replace the one its factory made, so both accept this wrapper. It is a
 * {@link Proxy} over the public {@code Consumer} interface rather than a hand-written delegate so that it works
 * with whichever kafka-clients version the peer's child JVM runs on (the interface gained and lost methods
 * between 3.x and 4.x). Commit calls without explicit offsets commit the consumer's positions; we turn them
 * into the equivalent explicit-offset calls so that the offsets are known. Everything else passes straight
 * through.
 */
final class CommitObserver implements InvocationHandler {
  private final Consumer<?, ?> target;
  private final BenchContext context;

  private CommitObserver(Consumer<?, ?> target, BenchContext context) {
    this.target = target;
    this.context = context;
  }

  @SuppressWarnings("unchecked")
  static <K, V> Consumer<K, V> wrap(Consumer<K, V> target, BenchContext context) {
    return (Consumer<K, V>) Proxy.newProxyInstance(
        CommitObserver.class.getClassLoader(), new Class<?>[] {Consumer.class}, new CommitObserver(target, context));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    Object[] a = args == null ? new Object[0] : args;
    if (name.equals("commitSync")) {
      return commitSync(method, a);
    }
    if (name.equals("commitAsync")) {
      return commitAsync(a);
    }
    if (method.getDeclaringClass() == Object.class) {
      return switch (name) {
        case "equals" -> proxy == a[0];
        case "hashCode" -> System.identityHashCode(proxy);
        case "toString" -> "CommitObserver[" + target + "]";
        default -> call(method, a);
      };
    }
    return call(method, a);
  }

  @SuppressWarnings("unchecked")
  private Object commitSync(Method method, Object[] a) throws Throwable {
    if (a.length >= 1 && a[0] instanceof Map<?, ?> offsets) {
      Object result = call(method, a);
      context.committed((Map<TopicPartition, OffsetAndMetadata>) offsets);
      return result;
    }
    // commitSync() / commitSync(Duration): commit the current positions explicitly.
    Map<TopicPartition, OffsetAndMetadata> positions = positions();
    Class<?>[] types = a.length == 0 ? new Class<?>[] {Map.class} : new Class<?>[] {Map.class, a[0].getClass()};
    Object[] newArgs = a.length == 0 ? new Object[] {positions} : new Object[] {positions, a[0]};
    Method explicit = findCommit("commitSync", types);
    Object result = call(explicit, newArgs);
    context.committed(positions);
    return result;
  }

  @SuppressWarnings("unchecked")
  private Object commitAsync(Object[] a) throws Throwable {
    Map<TopicPartition, OffsetAndMetadata> offsets;
    OffsetCommitCallback userCallback;
    if (a.length >= 1 && a[0] instanceof Map<?, ?> explicit) {
      offsets = (Map<TopicPartition, OffsetAndMetadata>) explicit;
      userCallback = a.length > 1 ? (OffsetCommitCallback) a[1] : null;
    } else {
      offsets = positions();
      userCallback = a.length == 1 ? (OffsetCommitCallback) a[0] : null;
    }
    OffsetCommitCallback observing = (committed, exception) -> {
      if (exception == null) {
        context.committed(committed);
      }
      if (userCallback != null) {
        userCallback.onComplete(committed, exception);
      }
    };
    target.commitAsync(offsets, observing);
    return null;
  }

  private Map<TopicPartition, OffsetAndMetadata> positions() {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    for (TopicPartition tp : target.assignment()) {
      positions.put(tp, new OffsetAndMetadata(target.position(tp)));
    }
    return positions;
  }

  private static Method findCommit(String name, Class<?>[] types) throws NoSuchMethodException {
    if (types.length == 1) {
      return Consumer.class.getMethod(name, Map.class);
    }
    for (Method m : Consumer.class.getMethods()) {
      if (m.getName().equals(name)
          && m.getParameterCount() == 2
          && m.getParameterTypes()[0] == Map.class
          && m.getParameterTypes()[1].isAssignableFrom(types[1])) {
        return m;
      }
    }
    throw new NoSuchMethodException(name + "(Map, " + types[1].getName() + ")");
  }

  private Object call(Method method, Object[] a) throws Throwable {
    try {
      return method.invoke(target, a);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
