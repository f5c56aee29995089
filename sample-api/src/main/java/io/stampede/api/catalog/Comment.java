package io.stampede.api.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A comment on a product. */
public record Comment(long id, long product, String author, String text,
                      @JsonProperty("created_at") String createdAt) {}
