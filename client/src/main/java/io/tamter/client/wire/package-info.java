/**
 * The wire format between thin clients and the grid's compute task: the task name and the
 * request/response envelopes ({@link io.tamter.client.wire.Envelope}), the operation names
 * ({@link io.tamter.client.wire.Op}) and the check for JSON values that cannot travel as text
 * ({@link io.tamter.client.wire.JsonChecks}). compute-tasks and the HTTP frontend use these same
 * classes.
 */
package io.tamter.client.wire;
