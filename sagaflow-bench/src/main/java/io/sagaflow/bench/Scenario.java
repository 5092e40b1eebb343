package io.sagaflow.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * One benchmark workload: how much data, how it is keyed and partitioned, and what the handler does.
 *
 * <p>All scenarios use 100-byte values and keys drawn from 10,000 distinct keys; {@code maxInFlight} is the
 * concurrency bound given to the systems that have one (Sagaflow's {@code maxInFlight}, Parallel Consumer's
 * {@code maxConcurrency}).
 */
record Scenario(
    String name,
    long records,
    int partitions,
    int valueBytes,
    int keyCount,
    KeyDistribution keys,
    long handlerSleepMillis,
    int maxInFlight) {

  enum KeyDistribution {
    UNIFORM,
    /** Zipf with exponent 1.0: the hottest key carries about 10% of the records. */
    ZIPF
  }

  static final int VALUE_BYTES = 100;
  static final int KEY_COUNT = 10_000;
  static final int MAX_IN_FLIGHT = 1_000;

  Scenario {
    if (records <= 0) {
      throw new IllegalArgumentException("records (" + records + ") must be positive");
    }
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions (" + partitions + ") must be positive");
    }
    if (maxInFlight <= 0) {
      throw new IllegalArgumentException("maxInFlight (" + maxInFlight + ") must be positive");
    }
  }

  static Scenario named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "noop" -> new Scenario("noop", 1_000_000, 6, VALUE_BYTES, KEY_COUNT, KeyDistribution.UNIFORM, 0, MAX_IN_FLIGHT);
      case "io" -> new Scenario("io", 200_000, 6, VALUE_BYTES, KEY_COUNT, KeyDistribution.UNIFORM, 5, MAX_IN_FLIGHT);
      case "io-1p" -> new Scenario("io-1p", 200_000, 1, VALUE_BYTES, KEY_COUNT, KeyDistribution.UNIFORM, 5, MAX_IN_FLIGHT);
      case "skew" -> new Scenario("skew", 200_000, 6, VALUE_BYTES, KEY_COUNT, KeyDistribution.ZIPF, 5, MAX_IN_FLIGHT);
      default -> throw new IllegalArgumentException(
          "unknown scenario '" + name + "'; use one of " + Arrays.toString(names()));
    };
  }

  static String[] names() {
    return new String[] {"noop", "io", "io-1p", "skew"};
  }

  Scenario withRecords(long newRecords) {
    return new Scenario(name, newRecords, partitions, valueBytes, keyCount, keys, handlerSleepMillis, maxInFlight);
  }
}
