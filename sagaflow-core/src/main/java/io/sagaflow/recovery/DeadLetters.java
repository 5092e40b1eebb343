package io.sagaflow.recovery;

import io.sagaflow.recovery.internal.Replayer;
import io.sagaflow.recovery.internal.TopicScanner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Inspect and replay dead-letter topics: what {@code sagaflow dlq list|show|replay} runs.
 *
 * <pre>{@code
 * DeadLetters dlq = DeadLetters.create(DeadLettersOptions.of("localhost:9092"));
 * for (DeadLetter d : dlq.list("orders-dlt", DeadLetterFilter.parse("exception=Timeout"))) {
 *   System.out.println(d.coordinates() + " " + d.info().exceptionClass());
 * }
 * ReplaySummary s = dlq.replay("orders-dlt", DeadLetterFilter.all(), ReplayTarget.original(), false,
 *     (letter, outcome, soFar) -> System.out.println(outcome + " " + letter.coordinates()));
 * }</pre>
 *
 * <p><b>Replay guarantee.</b> Each dead letter is copied to a given target at most once, and every
 * matched letter is copied once a run completes: replay is idempotent when interrupted (crash,
 * kill, an exception from the progress listener, a broker outage) and re-run. Each copy is written
 * together with an entry in the ledger topic {@code <dlt>-replayed} in one Kafka transaction, and a
 * run first reads the ledger ({@code read_committed}) and skips letters already copied to the same
 * target, so no window exists between "copied" and "remembered". The copy keeps the key, value and
 * headers (retry-scheduling headers removed, so the record starts a fresh retry cycle) and carries
 * {@code sagaflow-replayed-from = <dlt>/<partition>/<offset>} so a checker can verify the mapping.
 * Two concurrent replays of the same topic to the same target fence each other (one fails) rather
 * than duplicate. Consumers of the target see each copy once if they read with {@code
 * isolation.level=read_committed}. Dead letters themselves are never deleted or modified.
 *
 * <p>Instances hold no connections: each call opens its clients and closes them before returning.
 */
public final class DeadLetters {
  private final DeadLettersOptions options;

  private DeadLetters(DeadLettersOptions options) {
    this.options = options;
  }

  public static DeadLetters create(DeadLettersOptions options) {
    return new DeadLetters(Objects.requireNonNull(options, "options"));
  }

  /** Every dead letter of {@code dltTopic} that {@code filter} matches, partition by partition. */
  public List<DeadLetter> list(String dltTopic, DeadLetterFilter filter) {
    List<DeadLetter> out = new ArrayList<>();
    new TopicScanner(options.cluster(), options.clientProperties(), options.timeout()).scan(dltTopic, r -> {
      DeadLetter letter = DeadLetter.of(r);
      if (filter.matches(letter)) {
        out.add(letter);
      }
    });
    return out;
  }

  /** The dead letter at {@code partition}/{@code offset} of {@code dltTopic}, if it exists. */
  public Optional<DeadLetter> show(String dltTopic, int partition, long offset) {
    List<DeadLetter> found = new ArrayList<>();
    new TopicScanner(options.cluster(), options.clientProperties(), options.timeout()).scan(dltTopic, r -> {
      if (r.partition() == partition && r.offset() == offset) {
        found.add(DeadLetter.of(r));
      }
    });
    return found.stream().findFirst();
  }

  /**
   * Copies the matched dead letters of {@code dltTopic} to {@code target}, skipping those already
   * copied there (see the class comment for the guarantee).
   *
   * @param dryRun count what would be replayed, writing nothing
   * @param listener progress, once per matched letter; throwing stops the replay (the exception is
   *     rethrown) with everything reported as replayed kept
   */
  public ReplaySummary replay(String dltTopic, DeadLetterFilter filter, ReplayTarget target, boolean dryRun,
      ReplayListener listener) {
    Objects.requireNonNull(dltTopic, "dltTopic");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(listener, "listener");
    if (!target.isOriginal() && target.topic().equals(dltTopic)) {
      throw new IllegalArgumentException("replay target " + target + " is the dead-letter topic itself");
    }
    return new Replayer(options.cluster(), options.clientProperties(), options.timeout(), options.listener())
        .replay(dltTopic, filter, target, dryRun, listener);
  }
}
