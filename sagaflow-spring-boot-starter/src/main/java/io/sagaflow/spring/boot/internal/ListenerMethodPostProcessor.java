package io.sagaflow.spring.boot.internal;

import io.sagaflow.spring.boot.SagaflowListener;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;

/**
 * Finds the {@code @SagaflowListener} methods of every bean once it is initialized, checks them
 * (a wrong signature fails the context's start with a message naming the method) and keeps them for
 * the container, which builds and starts their processors when the context is ready.
 */
public final class ListenerMethodPostProcessor implements BeanPostProcessor, EnvironmentAware {
  private final List<ListenerEndpoint> endpoints = new ArrayList<>();
  private final Set<Class<?>> withoutListeners = ConcurrentHashMap.newKeySet();
  private Environment environment;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    Class<?> target = AopUtils.getTargetClass(bean);
    if (withoutListeners.contains(target)) {
      return bean;
    }
    Map<Method, SagaflowListener> methods = MethodIntrospector.selectMethods(target,
        (MethodIntrospector.MetadataLookup<SagaflowListener>) m ->
            AnnotatedElementUtils.findMergedAnnotation(m, SagaflowListener.class));
    if (methods.isEmpty()) {
      withoutListeners.add(target);
      return bean;
    }
    methods.forEach((method, annotation) -> {
      Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
      ListenerEndpoint endpoint = ListenerEndpoint.of(beanName, bean, invocable, annotation,
          environment::resolveRequiredPlaceholders);
      synchronized (endpoints) {
        endpoints.add(endpoint);
      }
    });
    return bean;
  }

  /** The listener methods found so far. */
  public List<ListenerEndpoint> endpoints() {
    synchronized (endpoints) {
      return List.copyOf(endpoints);
    }
  }
}
