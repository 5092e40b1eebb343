package io.sagaflow.kafka.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one redaction policy of Sagaflow: hides secret values before configuration reaches a
 * {@code toString}, a log line, an exception message or CLI output. A key is secret when its name
 * mentions a password, a secret, JAAS, a credential, a token, a key or user info; {@link #scrub} also removes
 * the secret values themselves (and the passwords inside a JAAS configuration) from free text such
 * as a broker's error message.
 */
public final class Redaction {
  private static final Pattern SECRET = Pattern.compile(
      "(?i).*(password|secret|jaas|credential|token|apikey|api\\.key|\\.key|keystore\\.key|user\\.info|auth\\.info).*");
  private static final Pattern JAAS_SECRET = Pattern.compile("(?i)(password|secret|token)\\w*=\"([^\"]*)\"");
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

  /** {@code text} with every secret value of {@code config} (and every JAAS password) replaced. */
  public static String scrub(String text, Map<String, ?> config) {
    if (text == null) {
      return null;
    }
    List<String> secrets = new ArrayList<>();
    config.forEach((k, v) -> {
      if (v != null && isSecret(k)) {
        String value = v instanceof org.apache.kafka.common.config.types.Password p ? p.value() : v.toString();
        secrets.add(value);
        Matcher m = JAAS_SECRET.matcher(value);
        while (m.find()) {
          secrets.add(m.group(2));
        }
      }
    });
    secrets.sort(Comparator.comparingInt(String::length).reversed());
    String out = text;
    for (String s : secrets) {
      if (s.length() >= 3) { // a one- or two-character secret would blank out ordinary words
        out = out.replace(s, REDACTED);
      }
    }
    return out;
  }
}
