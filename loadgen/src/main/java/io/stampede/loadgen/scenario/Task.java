package io.stampede.loadgen.scenario;

import java.util.List;
import java.util.Set;

/** A named, weighted list of steps (Locust's {@code @task(weight)}). */
public record Task(String name, int weight, Set<String> tags, List<Step> steps) {}
