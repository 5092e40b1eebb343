package io.sagaflow.saga.internal.journal;

/** The kinds of effect a journal entry can record, with their names on the wire. */
public enum EffectKind {
  PUT("put"),
  TAKE("take"),
  CHANNEL("actionChannel"),
  CALL("call"),
  ALL("all"),
  RACE("race"),
  DELAY("delay"),
  NOW("now"),
  UUID("uuid"),
  /**
   * A version marker ({@link io.sagaflow.saga.SagaContext#version}): not an effect, an entry keyed
   * by its change id whose result is the version the run follows.
   */
  VERSION("version");

  private final String wire;

  EffectKind(String wire) {
    this.wire = wire;
  }

  /** The name written to the journal. */
  public String wireName() {
    return wire;
  }

  /** The kind named {@code name} on the wire, or null if there is none. */
  public static EffectKind fromWire(String name) {
    for (EffectKind k : values()) {
      if (k.wire.equals(name)) {
        return k;
      }
    }
    return null;
  }
}
