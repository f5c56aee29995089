package io.stampede.api.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** A product row; {@code price} is serialized as a string, as DRF does for decimals. */
public record Product(long id, String name, String description, String price,
                      @JsonProperty("created_at") String createdAt) {
    public static Product of(long id, String name, String description, BigDecimal price, Instant createdAt) {
        return new Product(id, name, description, price.toPlainString(),
                createdAt.truncatedTo(ChronoUnit.MICROS).toString());
    }
}
