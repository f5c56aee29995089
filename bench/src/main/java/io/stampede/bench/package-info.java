/**
 * The benchmark ({@code stampede bench}): runs the Market API, the balancer and the load generator
 * as separate processes and compares direct and balanced runs, algorithm by algorithm. Built by
 * the bench issue.
 */
package io.stampede.bench;
