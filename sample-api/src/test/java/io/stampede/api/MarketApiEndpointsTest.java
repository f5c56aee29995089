package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MarketApiEndpointsTest {
    static TestApi api;
    static String access;

    @BeforeAll
    static void start() throws InterruptedException {
        api = TestApi.start(8, Duration.ZERO, 64);
        access = api.access();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void loginReturnsAnAccessAndARefreshToken() {
        JsonNode pair = api.login();
        assertThat(pair.get("access").asText()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
        assertThat(pair.get("refresh").asText()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
    }

    @Test
    void seedUsersLogInWithTheirOwnPasswords() {
        assertThat(api.post("/api/v1/auth/token/", "{\"email\":\"user7@market.test\",\"password\":\"password7\"}", null).status())
                .isEqualTo(200);
        assertThat(api.post("/api/v1/auth/token/", "{\"email\":\"user7@market.test\",\"password\":\"password8\"}", null).status())
                .isEqualTo(401);
        // The test instance seeds 50 accounts.
        assertThat(api.post("/api/v1/auth/token/", "{\"email\":\"user51@market.test\",\"password\":\"password51\"}", null).status())
                .isEqualTo(401);
    }

    @Test
    void wrongCredentialsAre401WithAnErrorsList() {
        TestApi.Response r = api.post("/api/v1/auth/token/", "{\"email\":\"demo@market.test\",\"password\":\"nope\"}", null);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("no_active_account");
        assertThat(api.post("/api/v1/auth/token/", "{\"email\":\"nobody@market.test\",\"password\":\"x\"}", null).status())
                .isEqualTo(401);
    }

    @Test
    void malformedOrIncompleteLoginIs400() {
        TestApi.Response malformed = api.post("/api/v1/auth/token/", "{\"email\":", null);
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("errors").get(0).get("code").asText()).isEqualTo("parse_error");

        TestApi.Response missing = api.post("/api/v1/auth/token/", "{\"email\":\"demo@market.test\"}", null);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("errors").get(0).get("attr").asText()).isEqualTo("password");
        assertThat(missing.json().get("errors").get(0).get("code").asText()).isEqualTo("required");

        assertThat(api.post("/api/v1/auth/token/", "", null).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/auth/token/", "[1,2]", null).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/auth/token/", "{\"email\":5,\"password\":\"x\"}", null).status()).isEqualTo(400);
    }

    @Test
    void refreshGivesANewAccessTokenAndRotatesTheRefreshToken() {
        JsonNode pair = api.login();
        String refresh = pair.get("refresh").asText();
        // As the seed's locustfile does: the refresh call also carries the access token, which is ignored.
        TestApi.Response r = api.post("/api/v1/auth/token/refresh/", "{\"refresh\":\"" + refresh + "\"}", "garbage");
        assertThat(r.status()).isEqualTo(200);
        String newAccess = r.json().get("access").asText();
        assertThat(r.json().get("refresh").asText()).isNotEqualTo(refresh);
        assertThat(api.get("/api/v1/products/1/", newAccess).status()).isEqualTo(200);
        // Without a blacklist the old refresh token keeps working until it expires (the locustfile needs that).
        assertThat(api.post("/api/v1/auth/token/refresh/", "{\"refresh\":\"" + refresh + "\"}", null).status()).isEqualTo(200);
    }

    @Test
    void accessTokenOfferedAsRefreshIs401() {
        TestApi.Response r = api.post("/api/v1/auth/token/refresh/", "{\"refresh\":\"" + access + "\"}", null);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("token_not_valid");
    }

    @Test
    void refreshTokenUsedAsBearerIs401() {
        String refresh = api.login().get("refresh").asText();
        TestApi.Response r = api.get("/api/v1/products/", refresh);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void refreshWithoutTokenIs400() {
        assertThat(api.post("/api/v1/auth/token/refresh/", "{}", null).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/auth/token/refresh/", "not json", null).status()).isEqualTo(400);
    }

    @Test
    void everyProductEndpointNeedsABearerToken() {
        for (String path : new String[] {"/api/v1/products/", "/api/v1/products/1/", "/api/v1/products/comments/"}) {
            TestApi.Response r = api.get(path, null);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("not_authenticated");
        }
        assertThat(api.post("/api/v1/products/", "{\"name\":\"x\",\"price\":\"1.00\"}", null).status()).isEqualTo(401);
        HttpRequest basic = HttpRequest.newBuilder(URI.create(api.url("/api/v1/products/")))
                .header("Authorization", "Basic ZGVtbzpkZW1v").GET().build();
        assertThat(api.send(basic).status()).isEqualTo(401);
    }

    @Test
    void productListIsPaginatedLikeDrf() {
        JsonNode first = api.get("/api/v1/products/", access).json();
        assertThat(first.get("count").asInt()).isGreaterThanOrEqualTo(200);
        assertThat(first.get("previous").isNull()).isTrue();
        assertThat(first.get("results")).hasSize(20);
        assertThat(first.get("results").get(0).get("id").asLong()).isEqualTo(1);
        assertThat(first.get("next").asText()).isEqualTo("http://127.0.0.1:" + api.instance.port() + "/api/v1/products/?page=2");

        JsonNode third = api.get("/api/v1/products/?page=3&page_size=5", access).json();
        assertThat(third.get("results")).hasSize(5);
        assertThat(third.get("results").get(0).get("id").asLong()).isEqualTo(11);
        assertThat(third.get("previous").asText()).endsWith("/api/v1/products/?page_size=5&page=2");
        assertThat(third.get("next").asText()).endsWith("/api/v1/products/?page_size=5&page=4");

        JsonNode big = api.get("/api/v1/products/?page_size=1000", access).json();
        assertThat(big.get("results")).hasSize(100);

        assertThat(api.get("/api/v1/products/?page=9999", access).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/products/?page=abc", access).status()).isEqualTo(404);
    }

    @Test
    void productDetailAnd404() {
        TestApi.Response one = api.get("/api/v1/products/1/", access);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().get("id").asLong()).isEqualTo(1);
        assertThat(one.json().get("price").asText()).matches("\\d+\\.\\d\\d");
        assertThat(one.header("X-Served-By")).isEqualTo("api-" + api.instance.port());

        TestApi.Response absent = api.get("/api/v1/products/999999/", access);
        assertThat(absent.status()).isEqualTo(404);
        assertThat(absent.json().get("errors").get(0).get("code").asText()).isEqualTo("not_found");
    }

    @Test
    void createProductReturns201WithItsId() {
        TestApi.Response r = api.post("/api/v1/products/",
                "{\"name\":\"Test Kettle\",\"price\":\"12.50\",\"description\":\"boils\"}", access);
        assertThat(r.status()).isEqualTo(201);
        long id = r.json().get("id").asLong();
        assertThat(id).isGreaterThan(200);
        assertThat(r.json().get("price").asText()).isEqualTo("12.50");
        JsonNode fetched = api.get("/api/v1/products/" + id + "/", access).json();
        assertThat(fetched.get("name").asText()).isEqualTo("Test Kettle");
        assertThat(fetched.get("description").asText()).isEqualTo("boils");

        TestApi.Response numeric = api.post("/api/v1/products/", "{\"name\":\"N\",\"price\":3}", access);
        assertThat(numeric.status()).isEqualTo(201);
        assertThat(numeric.json().get("price").asText()).isEqualTo("3.00");
    }

    @Test
    void createProductWithBadFieldsIs400WithEveryFieldError() {
        TestApi.Response r = api.post("/api/v1/products/", "{\"price\":\"abc\"}", access);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errors")).extracting(e -> e.get("attr").asText() + ":" + e.get("code").asText())
                .containsExactlyInAnyOrder("name:required", "price:invalid");
        assertThat(api.post("/api/v1/products/", "{\"name\":\"x\",\"price\":\"-1\"}", access).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/products/", "{\"name\":\"x\",\"price\":\"1.001\"}", access).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/products/", "{\"name\":\"x\"}", access).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/products/", "{\"name\":\"" + "n".repeat(201) + "\",\"price\":1}", access).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/products/", "{oops", access).status()).isEqualTo(400);
    }

    @Test
    void commentsArePaginatedAcrossProducts() {
        JsonNode page = api.get("/api/v1/products/comments/?page_size=50", access).json();
        assertThat(page.get("count").asInt()).isEqualTo(600);
        assertThat(page.get("results")).hasSize(50);
        assertThat(page.get("results").get(0).get("product").asLong()).isEqualTo(1);
        assertThat(page.get("results").get(49).get("product").asLong()).isGreaterThan(1);
    }

    @Test
    void unknownPathsAndMethodsAreJsonErrors() {
        TestApi.Response missing = api.get("/api/v2/nothing/", access);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().has("errors")).isTrue();
        assertThat(api.get("/nothing", null).status()).isEqualTo(404);

        HttpRequest put = HttpRequest.newBuilder(URI.create(api.url("/api/v1/products/1/")))
                .header("Authorization", "Bearer " + access).PUT(HttpRequest.BodyPublishers.ofString("{}")).build();
        TestApi.Response notAllowed = api.send(put);
        assertThat(notAllowed.status()).isEqualTo(405);
        assertThat(notAllowed.header("Allow")).isEqualTo("GET");
        assertThat(notAllowed.json().get("errors").get(0).get("code").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void pathWithoutTrailingSlashIsRedirectedLikeDjango() {
        TestApi.Response r = api.get("/api/v1/products", access);
        assertThat(r.status()).isEqualTo(301);
        assertThat(r.header("Location")).isEqualTo("/api/v1/products/");
    }

    @Test
    void healthzNamesTheInstance() {
        TestApi.Response r = api.get("/healthz", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ok");
        assertThat(r.json().get("instance").asText()).isEqualTo("api-" + api.instance.port());
    }
}
