package io.stampede.api.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.api.http.ApiRequest;
import io.stampede.api.http.Json;
import io.stampede.api.http.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * simplejwt's two views: obtain a pair with email and password, and refresh (with rotation: the
 * old refresh token stays valid until it expires, as without simplejwt's blacklist app, which the
 * seed's locustfile relies on since it keeps refreshing with its first token). Also the
 * {@code Authorization: Bearer} check used by every product endpoint.
 */
public final class AuthEndpoints {
    private final Accounts accounts;
    private final JwtTokens tokens;

    public AuthEndpoints(Accounts accounts, JwtTokens tokens) {
        this.accounts = accounts;
        this.tokens = tokens;
    }

    /** {@code POST /api/v1/auth/token/}: hashes the password, so it runs off the event loop. */
    public Reply obtain(ApiRequest request) {
        JsonNode body = Json.objectOrNull(request.body());
        if (body == null) {
            return Reply.parseError();
        }
        List<Map<String, Object>> missing = new ArrayList<>();
        String email = requiredString(body, "email", missing);
        String password = requiredString(body, "password", missing);
        if (!missing.isEmpty()) {
            return Reply.validation(missing);
        }
        Optional<Accounts.Account> account = accounts.authenticate(email, password);
        if (account.isEmpty()) {
            return Reply.error(401, "client_error", "no_active_account",
                    "No active account found with the given credentials", null, 1);
        }
        JwtTokens.Pair pair = tokens.issue(account.get().id());
        Map<String, String> out = new LinkedHashMap<>();
        out.put("refresh", pair.refresh());
        out.put("access", pair.access());
        return Reply.json(200, out, 1);
    }

    /** {@code POST /api/v1/auth/token/refresh/}: any {@code Authorization} header is ignored. */
    public Reply refresh(ApiRequest request) {
        JsonNode body = Json.objectOrNull(request.body());
        if (body == null) {
            return Reply.parseError();
        }
        List<Map<String, Object>> missing = new ArrayList<>();
        String refresh = requiredString(body, "refresh", missing);
        if (!missing.isEmpty()) {
            return Reply.validation(missing);
        }
        Optional<Long> user = tokens.verifyRefresh(refresh);
        if (user.isEmpty()) {
            return Reply.error(401, "client_error", "token_not_valid", "Token is invalid or expired", "refresh", 0);
        }
        JwtTokens.Pair pair = tokens.issue(user.get());
        Map<String, String> out = new LinkedHashMap<>();
        out.put("access", pair.access());
        out.put("refresh", pair.refresh());
        return Reply.json(200, out, 1);
    }

    /** The refusal to send, or empty when the request carries a valid access token. */
    public Optional<Reply> checkBearer(ApiRequest request) {
        String header = request.authorization();
        if (header == null || header.isBlank()) {
            return Optional.of(unauthorized("not_authenticated", "Authentication credentials were not provided."));
        }
        String[] parts = header.trim().split("\\s+");
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            return Optional.of(unauthorized("authentication_failed",
                    "Invalid Authorization header: expected 'Bearer <access token>'."));
        }
        if (tokens.verifyAccess(parts[1]).isEmpty()) {
            return Optional.of(unauthorized("token_not_valid", "Given token not valid for any token type"));
        }
        return Optional.empty();
    }

    private static Reply unauthorized(String code, String detail) {
        return Reply.error(401, "client_error", code, detail, null, 0)
                .withHeader("WWW-Authenticate", "Bearer realm=\"api\"");
    }

    private static String requiredString(JsonNode body, String field, List<Map<String, Object>> errors) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            errors.add(Reply.fieldError("required", "This field is required.", field));
            return null;
        }
        if (!node.isTextual()) {
            errors.add(Reply.fieldError("invalid", "Not a valid string.", field));
            return null;
        }
        if (node.asText().isBlank()) {
            errors.add(Reply.fieldError("blank", "This field may not be blank.", field));
            return null;
        }
        return node.asText();
    }
}
