package io.stampede.balancer.upstream;

/** How an attempt on a peer ended, as nginx frees a peer. */
public enum Outcome {
    /** A response was passed on (including an unlisted error status, or one on the last try). */
    OK,
    /** Error, timeout, invalid header, or a listed 5xx/429 that will be retried: counts as a failure. */
    FAILED,
    /** A listed 403/404 that will be retried: moves on without counting a failure. */
    NEXT,
    /** The peer was handed to a queued request whose client had gone: given back untouched. */
    UNUSED
}
