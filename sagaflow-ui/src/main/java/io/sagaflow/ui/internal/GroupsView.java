package io.sagaflow.ui.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sagaflow.admin.GroupLag;
import io.sagaflow.kafka.KafkaCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;

/**
 * The consumer groups and their lag per partition, read with {@link GroupLag} (the code of
 * {@code sagaflow lag}). The page keeps the history for its chart; the server keeps none.
 */
final class GroupsView {
  /**
   * Why the page shows no stalled keys or paused partitions: a {@code Processor} reports them in
   * its own process only ({@code Processor.status()}); Kafka has no API that shows them to another.
   */
  static final String PROCESSOR_NOTE = "Stalled keys and paused partitions are known only inside the process that"
      + " runs the Processor (Processor.status()); Kafka offers no API that shows them to another process, so this"
      + " page, which reads the cluster, cannot list them. Use the Processor's health check or metrics there.";

  private final KafkaCluster cluster;
  private final Duration timeout;

  GroupsView(KafkaCluster cluster, Duration timeout) {
    this.cluster = cluster;
    this.timeout = timeout;
  }

  ObjectNode render() throws Exception {
    Collection<GroupListing> listed = cluster.admin().listGroups(ListGroupsOptions.forConsumerGroups()).all()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<GroupListing> groups = new ArrayList<>(listed);
    groups.sort(Comparator.comparing(GroupListing::groupId));
    ObjectNode out = Json.object();
    out.put("note", PROCESSOR_NOTE);
    out.put("at", System.currentTimeMillis());
    ArrayNode array = out.putArray("groups");
    for (GroupListing g : groups) {
      ObjectNode n = array.addObject();
      n.put("group", g.groupId());
      n.put("state", g.groupState().map(Object::toString).orElse("unknown"));
      long total = 0;
      ArrayNode partitions = n.putArray("partitions");
      for (GroupLag.PartitionLag l : GroupLag.read(cluster.admin(), g.groupId(), timeout)) {
        partitions.addObject()
            .put("topic", l.partition().topic())
            .put("partition", l.partition().partition())
            .put("committed", l.committedOffset())
            .put("end", l.endOffset())
            .put("lag", l.lag());
        total += l.lag();
      }
      n.put("totalLag", total);
    }
    return out;
  }
}
