package io.sagaflow.saga.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientIdsTest {
  @Test
  void aConfiguredIdGetsTheRoleAppended() {
    assertThat(ClientIds.derive("billing", "replies")).isEqualTo("billing-replies");
    assertThat(ClientIds.derive("billing", "puts")).isEqualTo("billing-puts");
  }

  @Test
  void withoutOneEveryClientGetsItsOwn() {
    String a = ClientIds.derive(null, "replies");
    String b = ClientIds.derive(" ", "replies");
    assertThat(a).startsWith("sagaflow-replies-");
    assertThat(b).startsWith("sagaflow-replies-").isNotEqualTo(a);
  }
}
