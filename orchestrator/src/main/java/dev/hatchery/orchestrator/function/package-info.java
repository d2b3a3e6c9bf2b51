/**
 * Functions as a service on clones: a function is a static Linux executable (request on stdin, response on stdout,
 * exit status for success); deploying it builds its initramfs and boots its template once, and every invocation runs
 * in a fresh clone of that template, destroyed afterwards.
 */
package dev.hatchery.orchestrator.function;
