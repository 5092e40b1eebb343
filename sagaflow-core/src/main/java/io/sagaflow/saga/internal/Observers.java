package io.sagaflow.saga.internal;

import io.sagaflow.saga.ActionChannelOpen;
import io.sagaflow.saga.All;
import io.sagaflow.saga.Call;
import io.sagaflow.saga.Delay;
import io.sagaflow.saga.Effect;
import io.sagaflow.saga.Now;
import io.sagaflow.saga.Put;
import io.sagaflow.saga.Race;
import io.sagaflow.saga.SagaMetrics;
import io.sagaflow.saga.Take;
import io.sagaflow.saga.Uuid;
import io.sagaflow.tracing.Tracing;
import java.util.Objects;

/**
 * What watches a saga runtime: its metrics and its tracing (both no-ops by default). {@link #on()}
 * says whether either is set, so that an unobserved engine skips its clock reads.
 *
 * @param metrics where measurements go
 * @param tracing where spans go
 */
public record Observers(SagaMetrics metrics, Tracing tracing) {
  /** Nothing watches. */
  public static final Observers NONE = new Observers(SagaMetrics.none(), Tracing.none());

  /** Validates. */
  public Observers {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tracing, "tracing");
  }

  /** Whether anything watches. */
  boolean on() {
    return metrics != SagaMetrics.none() || tracing != Tracing.none();
  }

  /** The kind of an effect, as metrics tags and span names say it. */
  static String kind(Effect<?> effect) {
    return switch (effect) {
      case Put put -> "put";
      case ActionChannelOpen<?> open -> "actionChannel";
      case Take<?> take -> "take";
      case Call<?> call -> "call";
      case All all -> "all";
      case Race race -> "race";
      case Delay<?> delay -> "delay";
      case Now now -> "now";
      case Uuid uuid -> "uuid";
    };
  }
}
