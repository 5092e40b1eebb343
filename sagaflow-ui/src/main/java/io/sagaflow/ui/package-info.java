/**
 * The web inspector behind {@code sagaflow ui}: a page that shows durable sagas from their journal
 * topics, consumer-group lag and dead letters, and (only when allowed) replays dead letters.
 *
 * <pre>{@code
 * try (SagaflowUi ui = SagaflowUi.start(UiOptions.of(ClusterOptions.of("localhost:9092")))) {
 *   System.out.println("open " + ui.url());
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link io.sagaflow.ui.SagaflowUi} and {@link io.sagaflow.ui.UiOptions} are the whole public
 * API; {@code io.sagaflow.ui.internal} is implementation.
 */
package io.sagaflow.ui;
