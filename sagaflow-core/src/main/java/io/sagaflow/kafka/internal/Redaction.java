package io.sagaflow.kafka.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Hides secret values before configuration reaches a log line or an exception message. */
public final class Redaction {
  private static final Pattern SECRET = Pattern.compile(
      "(?i).*(password|secret|jaas|credential|token|apikey|api\\.key|\\.key|keystore\\.key).*");
  public static final String REDACTED = "[redacted]";

  private Redaction() {}

  /** Whether the value of this configuration key is a secret. */
  public static boolean isSecret(String key) {
    return SECRET.matcher(key).matches();
  }

  /** A sorted copy with every secret value replaced by {@value #REDACTED}. */
  public static Map<String, String> redact(Map<String, ?> config) {
    Map<String, String> out = new TreeMap<>();
    config.forEach((k, v) -> out.put(k, isSecret(k) ? REDACTED : String.valueOf(v)));
    return out;
  }
}
