package io.stampede.bench;

/** A bench step that cannot go on; the message says which part and why, for the user. */
final class BenchException extends Exception {
    BenchException(String message) {
        super(message);
    }
}
