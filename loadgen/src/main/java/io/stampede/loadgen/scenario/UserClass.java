package io.stampede.loadgen.scenario;

import java.util.List;
import java.util.Map;

/**
 * A kind of virtual user (Locust's User class): its share of the users, its wait time, its
 * variables, what it does once at start and at stop, and its tasks, picked by weight (or in
 * order when {@code sequential}).
 */
public record UserClass(String name, int weight, WaitTime waitTime, Map<String, Template> vars,
                        List<Step> onStart, List<Step> onStop, List<Task> tasks, boolean sequential, String feed) {

    /** The same class with only the tasks {@code keep} accepts (tags). */
    public UserClass withTasks(List<Task> kept) {
        return new UserClass(name, weight, waitTime, vars, onStart, onStop, kept, sequential, feed);
    }
}
