/**
 * The HTTP API over {@link dev.hatchery.orchestrator.VmService}: routes, request parsing, JSON views,
 * RFC 7807 problem documents (the one place errors become HTTP statuses), bearer-token check, server.
 */
package dev.hatchery.orchestrator.http;
