package io.sagaflow.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * Stores SCRAM credentials in a running cluster (KRaft keeps them in its metadata log), then
 * waits until every broker accepts a login with them: a broker applies the metadata a moment
 * after the controller commits it, and a test's first login must not race that.
 */
final class ScramCredentials {
  /** Kafka's minimum; more only slows every login. */
  private static final int ITERATIONS = 4096;
  private static final List<ScramMechanism> MECHANISMS =
      List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512);

  private ScramCredentials() {}

  /**
   * @param plaintext client properties of the plaintext listener, where the credentials are written
   * @param saslBrokers the {@code SASL_PLAINTEXT} address of each broker, each probed on its own
   */
  static void store(Properties plaintext, List<String> saslBrokers, Map<String, String> users,
      Duration timeout) {
    try (Admin admin = Admin.create(plaintext)) {
      // One request per mechanism: Kafka refuses two alterations of one user in a request.
      for (ScramMechanism m : MECHANISMS) {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        users.forEach((user, password) -> upserts.add(
            new UserScramCredentialUpsertion(user, new ScramCredentialInfo(m, ITERATIONS), password)));
        admin.alterUserScramCredentials(upserts).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot store the SCRAM credentials: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while storing SCRAM credentials", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("storing the SCRAM credentials took over " + timeout.toSeconds() + " s", e);
    }
    Map.Entry<String, String> probe = users.entrySet().iterator().next();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String broker : saslBrokers) {
      for (ScramMechanism m : MECHANISMS) {
        awaitLogin(broker, m, probe.getKey(), probe.getValue(), deadline);
      }
    }
  }

  private static void awaitLogin(String broker, ScramMechanism mechanism, String user, String password,
      long deadline) {
    Properties p = new Properties();
    // Only this broker: the metadata request right after connecting needs its login to succeed.
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker);
    p.put(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    p.put("sasl.mechanism", mechanism.mechanismName());
    p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user + "\" password=\"" + password + "\";");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Admin admin = Admin.create(p)) {
        admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        last = e; // credentials not applied on this broker yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for SCRAM credentials", e);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for SCRAM credentials", e);
      }
    }
    throw new IllegalStateException("broker " + broker + " did not accept " + mechanism.mechanismName()
        + " logins of " + user + " in time: " + last, last);
  }
}
