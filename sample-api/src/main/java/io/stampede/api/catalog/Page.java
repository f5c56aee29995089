package io.stampede.api.catalog;

import java.util.List;

/** One page of a list, before it is given DRF's {@code next}/{@code previous} links. */
public record Page<T>(int count, int page, int pageSize, List<T> results) {
    public boolean hasNext() {
        return (long) page * pageSize < count;
    }

    public boolean hasPrevious() {
        return page > 1;
    }
}
