package io.sagaflow.saga.internal;

/**
 * Builds deterministic effect ids, the keys a durable journal will record results under.
 *
 * <p>Design: every logical thread (a run, a called saga, an all/race branch) numbers its effects
 * 1, 2, 3... behind a prefix naming where the thread sits: {@code ""} for the run itself,
 * {@code "<call id>/"} inside a called saga, {@code "<fork id>/all/<key>/"} or
 * {@code "<fork id>/race/<key>/"} inside a branch, whose own effect has the id
 * {@code "<fork id>/all/<key>"}. So {@code "3"} is the run's third effect and
 * {@code "4/race/timeout/1"} the first effect inside the {@code timeout} branch of the race that
 * was the run's fourth. Ids depend only on the order of the saga's code, never on timing, so a
 * replay of the same code meets the same ids. Compensation steps run under
 * {@code "<prefix>compensate/<n>/<step key>"} ({@link Compensations}), e.g. {@code "compensate/1/2"}
 * for the step the run registered second, in its first compensation. Ids are assigned in three
 * places only: {@link SagaContextImpl#perform} (the next id of its thread), {@link ForkJoin} (each
 * branch's effect) and {@link Compensations} (each step); all build them here. Version markers
 * take no number: they are keyed {@code "version/<change id>"} per run ({@link VersionMarkers}),
 * so adding one to saga code shifts no effect's id.
 */
final class EffectIds {
  /** The prefix of the run's own effects. */
  static final String ROOT = "";

  private EffectIds() {}

  /** The id of the {@code n}th effect of the logical thread whose ids start with {@code prefix}. */
  static String nth(String prefix, int n) {
    return prefix + n;
  }

  /** The prefix of the effects performed inside the effect {@code id} (a called saga, a branch). */
  static String inside(String id) {
    return id + "/";
  }

  /**
   * The prefix of the ids of the {@code run}th compensation of the logical thread whose ids start
   * with {@code prefix}; a step's key follows it ({@link Compensations}).
   */
  static String compensation(String prefix, int run) {
    return prefix + "compensate/" + run + "/";
  }

  /** The id of the version marker of {@code changeId}: one per run, outside every thread's numbering. */
  static String version(String changeId) {
    return "version/" + changeId;
  }

  /** The prefix of the branch ids of the all or race with id {@code forkId}; a key follows it. */
  static String branches(String forkId, boolean race) {
    return forkId + (race ? "/race/" : "/all/");
  }
}
