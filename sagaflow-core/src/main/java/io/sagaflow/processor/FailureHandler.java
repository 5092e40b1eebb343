package io.sagaflow.processor;

/** Decides what happens to a record whose processing failed. */
@FunctionalInterface
public interface FailureHandler {
  /** Runs on the failed record's worker thread; may block. Throwing = could not hand off: the processor backs off (exponential, capped 30 s) and calls again, keeping the record unfinished (key/partition blocked, offset never committed past it). */
  FailureDecision onFailure(FailedRecord failed) throws Exception;
}
