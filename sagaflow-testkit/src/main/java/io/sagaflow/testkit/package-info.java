/**
 * Testing aids. {@link io.sagaflow.testkit.SagaTester} runs a saga with no Kafka: scripted
 * replies, stubbed calls, virtual time, and assertions on the puts it made.
 */
package io.sagaflow.testkit;
