package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagaflow.saga.SagaContext;
import io.sagaflow.saga.internal.journal.EffectKind;
import io.sagaflow.saga.internal.journal.JournalEntry;
import io.sagaflow.saga.internal.journal.RecordedFailure;
import io.sagaflow.saga.internal.journal.SagaJournal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One saga run as the journal topic last showed it: a live journal (the latest value under its
 * run key), an ended one (the tombstone's {@code sagaflow-journal} header), or a record that could
 * not be decoded ({@code malformed}, with why).
 *
 * <p>The status of a live run comes from its entries: compensation entries (ids holding
 * {@code compensate/}) make it compensating; a pending take, delay, race or all makes it waiting
 * (on those topics, or until the delay's deadline); otherwise it is running.
 *
 * @param journalTopic the journal topic
 * @param partition its partition
 * @param offset the offset of the record shown
 * @param runKey the run key
 * @param status running, waiting, compensating, completed, failed or malformed
 * @param journal the decoded journal; null when malformed or when an ended run's header is missing
 * @param error the run's error (failed) or why the record is malformed; else null
 * @param updatedAt the record's timestamp
 */
public record SagaRun(String journalTopic, int partition, long offset, String runKey, String status, SagaJournal journal,
    String error, Instant updatedAt) {

  public static final String RUNNING = "running";
  public static final String WAITING = "waiting";
  public static final String COMPENSATING = "compensating";
  public static final String COMPLETED = "completed";
  public static final String FAILED = "failed";
  public static final String MALFORMED = "malformed";
  /** The statuses a run can have, in the order a reader expects them. */
  public static final List<String> STATUSES = List.of(RUNNING, WAITING, COMPENSATING, FAILED, COMPLETED, MALFORMED);

  /** The status of a live journal, derived from its entries. */
  static String liveStatus(SagaJournal journal) {
    boolean waiting = false;
    for (JournalEntry e : journal.entries()) {
      if (isCompensation(e)) {
        return COMPENSATING;
      }
      waiting |= e.status() == JournalEntry.Status.PENDING && waits(e.kind());
    }
    return waiting ? WAITING : RUNNING;
  }

  private static boolean waits(EffectKind kind) {
    return kind == EffectKind.TAKE || kind == EffectKind.DELAY || kind == EffectKind.RACE || kind == EffectKind.ALL;
  }

  static boolean isCompensation(JournalEntry e) {
    // A version marker's id ends with the user's change id, which may contain anything.
    return e.kind() != EffectKind.VERSION && (e.id().startsWith("compensate/") || e.id().contains("/compensate/"));
  }

  public boolean live() {
    return status.equals(RUNNING) || status.equals(WAITING) || status.equals(COMPENSATING);
  }

  public String sagaName() {
    return journal == null ? null : journal.sagaName();
  }

  public String transactionId() {
    return journal == null ? null : journal.transactionId();
  }

  /** The topic the run's input came from. */
  public String inputTopic() {
    if (journal == null) {
      return null;
    }
    return journal.input() != null ? journal.input().topic() : journal.action().topic();
  }

  /** Whether this run passes the page's filters (null or blank: no filter). */
  public boolean matches(String statusFilter, String sagaFilter, String topicFilter, String txSearch) {
    if (!blank(statusFilter) && !status.equals(statusFilter)) {
      return false;
    }
    if (!blank(sagaFilter) && !sagaFilter.equals(sagaName())) {
      return false;
    }
    if (!blank(topicFilter) && !topicFilter.equals(inputTopic())) {
      return false;
    }
    if (blank(txSearch)) {
      return true;
    }
    String q = txSearch.trim().toLowerCase(Locale.ROOT);
    return runKey.equals(txSearch.trim())
        || (transactionId() != null && transactionId().toLowerCase(Locale.ROOT).contains(q));
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /** The row of the sagas list. */
  public ObjectNode summary() {
    ObjectNode n = Json.object();
    n.put("journalTopic", journalTopic);
    n.put("partition", partition);
    n.put("offset", offset);
    n.put("runKey", runKey);
    n.put("status", status);
    n.put("saga", sagaName());
    n.put("transactionId", transactionId());
    n.put("topic", inputTopic());
    n.put("updatedAt", updatedAt == null ? null : updatedAt.toString());
    n.put("error", Json.cut(error));
    if (journal != null) {
      n.put("startedAt", journal.startedAt().toString());
      n.put("effects", journal.entries().size());
      JournalEntry last = journal.entries().isEmpty() ? null : journal.entries().getLast();
      n.put("lastEffect", last == null ? null : last.describe());
    }
    return n;
  }

  /** Everything the timeline shows: the summary, the input, the effects in order, what it waits for. */
  public ObjectNode detail(Instant now) {
    ObjectNode n = summary();
    if (journal == null) {
      return n;
    }
    ObjectNode input = n.putObject("input");
    input.put("topic", journal.action().topic());
    if (journal.input() != null) {
      input.put("position", journal.input().topic() + "-" + journal.input().partition() + "@" + journal.input().offset());
    }
    input.put("payload", Json.preview(journal.action().payload()));
    ArrayNode effects = n.putArray("effects");
    for (JournalEntry e : journal.entries()) {
      ObjectNode x = effects.addObject();
      x.put("id", e.id());
      x.put("kind", e.kind().wireName());
      x.put("detail", e.detail());
      x.put("describe", e.describe());
      // A pending entry of an ended run never finished (a race's losing branch, cancelled).
      x.put("status", e.status() == JournalEntry.Status.PENDING && !live() ? "unfinished"
          : e.status().name().toLowerCase(Locale.ROOT));
      x.put("compensation", isCompensation(e));
      x.put("at", e.at().toString());
      x.put("offsetMillis", e.at().toEpochMilli() - journal.startedAt().toEpochMilli());
      x.put("durationMillis", e.status() == JournalEntry.Status.PENDING && live()
          ? Math.max(0, now.toEpochMilli() - e.at().toEpochMilli()) : e.durationMillis());
      x.put("result", resultPreview(e));
      x.put("resultType", e.resultType());
      x.put("error", e.failure() == null ? null : Json.cut(describe(e.failure())));
      x.put("deadline", e.deadline() == null ? null : e.deadline().toString());
    }
    ArrayNode waits = n.putArray("waitingFor");
    if (live()) {
      for (JournalEntry e : journal.entries()) {
        if (e.status() == JournalEntry.Status.PENDING) {
          ObjectNode w = waits.addObject();
          w.put("id", e.id());
          w.put("what", waitText(e));
          w.put("deadline", e.deadline() == null ? null : e.deadline().toString());
          if (e.deadline() != null) {
            w.put("remainingMillis", e.deadline().toEpochMilli() - now.toEpochMilli());
          }
        }
      }
    }
    return n;
  }

  /** A result as a reader wants it: a take's payload, a race's winner, a version marker's version, else the JSON. */
  private static String resultPreview(JournalEntry e) {
    if (e.result() == null) {
      return null;
    }
    if (e.kind() == EffectKind.VERSION) {
      int v = e.result().asInt();
      return v == SagaContext.DEFAULT_VERSION ? v + " (default: journaled by code without this marker)"
          : String.valueOf(v);
    }
    return switch (e.resultType()) {
      case "action" -> Json.preview(e.result().get("p"));
      case "race" -> "won by " + e.result().path("k").asText();
      default -> Json.preview(e.result());
    };
  }

  private static String waitText(JournalEntry e) {
    return switch (e.kind()) {
      case TAKE -> "an action on " + e.detail();
      case DELAY -> "a delay" + (e.deadline() == null ? "" : " until " + e.deadline());
      case RACE -> "a race between " + e.detail() + " (the first to finish wins)";
      case ALL -> "all of " + e.detail();
      default -> e.describe() + " to finish";
    };
  }

  private static String describe(RecordedFailure f) {
    List<String> parts = new ArrayList<>();
    for (RecordedFailure c = f; c != null; c = c.cause()) {
      parts.add(c.type() + (c.message() == null ? "" : ": " + c.message()));
    }
    return String.join("\ncaused by ", parts);
  }
}
