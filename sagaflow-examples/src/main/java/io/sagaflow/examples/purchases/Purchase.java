package io.sagaflow.examples.purchases;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A purchase event, as the demo producer writes it: JSON on topic {@code purchases}, keyed by the
 * user id so that one user's purchases stay in one partition, in order.
 *
 * @param id unique id of the purchase
 * @param userId the buyer; the record key
 * @param item what was bought
 * @param price the price
 * @param timestamp when it was bought
 * @param run the demo run that produced it, so that a run ignores records of earlier runs
 * @param userSeq position of this purchase among the user's purchases in this run, from 1
 */
public record Purchase(
    String id, String userId, String item, BigDecimal price, Instant timestamp, String run, long userSeq) {}
