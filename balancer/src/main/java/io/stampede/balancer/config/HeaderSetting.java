package io.stampede.balancer.config;

import io.stampede.balancer.vars.Template;

/** One {@code proxy_set_header NAME VALUE}; an empty value removes the header. */
public record HeaderSetting(String name, Template value) {}
