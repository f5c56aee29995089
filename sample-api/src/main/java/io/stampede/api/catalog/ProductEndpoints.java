package io.stampede.api.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.api.http.ApiRequest;
import io.stampede.api.http.Json;
import io.stampede.api.http.Reply;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The product views, paginated like DRF's {@code PageNumberPagination} ({@code ?page=},
 * {@code ?page_size=} up to {@value #MAX_PAGE_SIZE}, absolute {@code next}/{@code previous} links).
 * Each costs one simulated query: a detail, a write, or a list page.
 */
public final class ProductEndpoints {
    public static final int DEFAULT_PAGE_SIZE = 20;
    public static final int MAX_PAGE_SIZE = 100;
    private static final int MAX_NAME = 200;
    private static final int MAX_DESCRIPTION = 2000;
    private static final BigDecimal MAX_PRICE = new BigDecimal("99999999.99");

    private final Catalog catalog;

    public ProductEndpoints(Catalog catalog) {
        this.catalog = catalog;
    }

    public Reply list(ApiRequest request) {
        return paged(request, catalog::products);
    }

    public Reply comments(ApiRequest request) {
        return paged(request, catalog::comments);
    }

    public Reply detail(ApiRequest request) {
        long id = Long.parseLong(request.pathParams().get(0));
        return catalog.product(id)
                .map(p -> Reply.json(200, p, 1))
                .orElseGet(() -> Reply.error(404, "client_error", "not_found", "No Product matches the given query.", null, 1));
    }

    public Reply create(ApiRequest request) {
        JsonNode body = Json.objectOrNull(request.body());
        if (body == null) {
            return Reply.parseError();
        }
        List<Map<String, Object>> errors = new ArrayList<>();
        String name = text(body, "name", true, MAX_NAME, errors);
        String description = text(body, "description", false, MAX_DESCRIPTION, errors);
        BigDecimal price = price(body.get("price"), errors);
        if (!errors.isEmpty()) {
            return Reply.validation(errors);
        }
        Product created = catalog.addProduct(name, description == null ? "" : description, price);
        return Reply.json(201, created, 1).withHeader("Location", "/api/v1/products/" + created.id() + "/");
    }

    private <T> Reply paged(ApiRequest request, BiFunction<Integer, Integer, Optional<Page<T>>> source) {
        int pageSize = pageSize(request.queryParam("page_size"));
        String pageParam = request.queryParam("page");
        int page;
        if (pageParam == null) {
            page = 1;
        } else if ("last".equals(pageParam)) {
            page = Integer.MAX_VALUE;
        } else {
            try {
                page = Integer.parseInt(pageParam);
            } catch (NumberFormatException e) {
                page = 0;
            }
        }
        if (page == Integer.MAX_VALUE) {
            int count = source.apply(1, pageSize).map(Page::count).orElse(0);
            page = Math.max(1, (count + pageSize - 1) / pageSize);
        }
        Optional<Page<T>> result = source.apply(page, pageSize);
        if (result.isEmpty()) {
            return Reply.error(404, "client_error", "not_found", "Invalid page.", null, 1);
        }
        Page<T> p = result.get();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", p.count());
        out.put("next", p.hasNext() ? link(request, p.page() + 1) : null);
        out.put("previous", p.hasPrevious() ? link(request, p.page() - 1) : null);
        out.put("results", p.results());
        return Reply.json(200, out, 1);
    }

    private static int pageSize(String param) {
        if (param == null) {
            return DEFAULT_PAGE_SIZE;
        }
        try {
            int size = Integer.parseInt(param);
            return size < 1 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
        } catch (NumberFormatException e) {
            return DEFAULT_PAGE_SIZE;
        }
    }

    /** The same URL with {@code page} replaced (dropped for page 1), as DRF builds it. */
    private static String link(ApiRequest request, int page) {
        StringBuilder url = new StringBuilder("http://").append(request.host() == null ? "localhost" : request.host())
                .append(request.path());
        List<String> params = new ArrayList<>();
        request.query().forEach((k, values) -> {
            if (!k.equals("page")) {
                values.forEach(v -> params.add(encode(k) + "=" + encode(v)));
            }
        });
        if (page > 1) {
            params.add("page=" + page);
        }
        if (!params.isEmpty()) {
            url.append('?').append(String.join("&", params));
        }
        return url.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String text(JsonNode body, String field, boolean required, int max, List<Map<String, Object>> errors) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                errors.add(Reply.fieldError("required", "This field is required.", field));
            }
            return null;
        }
        if (!node.isTextual()) {
            errors.add(Reply.fieldError("invalid", "Not a valid string.", field));
            return null;
        }
        String value = node.asText().strip();
        if (required && value.isEmpty()) {
            errors.add(Reply.fieldError("blank", "This field may not be blank.", field));
            return null;
        }
        if (value.length() > max) {
            errors.add(Reply.fieldError("max_length", "Ensure this field has no more than " + max + " characters.", field));
            return null;
        }
        return value;
    }

    private static BigDecimal price(JsonNode node, List<Map<String, Object>> errors) {
        if (node == null || node.isNull()) {
            errors.add(Reply.fieldError("required", "This field is required.", "price"));
            return null;
        }
        BigDecimal price;
        try {
            price = node.isNumber() ? node.decimalValue() : node.isTextual() ? new BigDecimal(node.asText().strip()) : null;
        } catch (NumberFormatException e) {
            price = null;
        }
        if (price == null) {
            errors.add(Reply.fieldError("invalid", "A valid number is required.", "price"));
            return null;
        }
        if (price.signum() < 0) {
            errors.add(Reply.fieldError("min_value", "Ensure this value is greater than or equal to 0.", "price"));
            return null;
        }
        if (price.stripTrailingZeros().scale() > 2) {
            errors.add(Reply.fieldError("max_decimal_places", "Ensure that there are no more than 2 decimal places.", "price"));
            return null;
        }
        if (price.compareTo(MAX_PRICE) > 0) {
            errors.add(Reply.fieldError("max_digits", "Ensure that there are no more than 10 digits in total.", "price"));
            return null;
        }
        return price.setScale(2);
    }
}
