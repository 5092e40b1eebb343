/**
 * Event routing: {@code {"event": "<name>", "data": ...}} envelopes dispatched to typed handlers.
 *
 * <p>Entry point: {@link io.sagaflow.routing.EventRouter}, built with handlers per event name and
 * run on a {@link io.sagaflow.processor.Processor} through {@link
 * io.sagaflow.routing.EventRouter#asRecordHandler()}. Handlers get the typed data and an {@link
 * io.sagaflow.routing.EventContext} (record and consumer metadata, user metadata, {@code send}).
 * Records that cannot be routed throw a {@link io.sagaflow.routing.RoutingException}, which the
 * recovery pipeline dead-letters without retrying.
 */
package io.sagaflow.routing;
