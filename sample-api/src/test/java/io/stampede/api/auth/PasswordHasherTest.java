package io.stampede.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
    final PasswordHasher hasher = new PasswordHasher(1000, new Random(1));

    @Test
    void storesDjangoStylePbkdf2Hashes() {
        String stored = hasher.hash("demo-password");
        assertThat(stored).matches("pbkdf2_sha256\\$1000\\$[A-Za-z0-9]{22}\\$[A-Za-z0-9+/=]{44}");
        assertThat(stored).doesNotContain("demo-password");
    }

    @Test
    void verifiesOnlyTheRightPassword() {
        String stored = hasher.hash("demo-password");
        assertThat(hasher.verify("demo-password", stored)).isTrue();
        assertThat(hasher.verify("demo-passwore", stored)).isFalse();
        assertThat(hasher.verify("", stored)).isFalse();
        assertThat(hasher.verify("demo-password", "md5$x$y")).isFalse();
    }

    @Test
    void saltsDifferSoEqualPasswordsHashDifferently() {
        assertThat(hasher.hash("same")).isNotEqualTo(hasher.hash("same"));
    }

    @Test
    void matchesDjangosReferenceHash() {
        // Django: make_password("password", "seasalt", "pbkdf2_sha256") with 1000 iterations.
        PasswordHasher django = new PasswordHasher(1000, new Random(0));
        String reference = "pbkdf2_sha256$1000$seasalt$" + referenceDigest();
        assertThat(django.verify("password", reference)).isTrue();
    }

    /** PBKDF2-HMAC-SHA256("password", "seasalt", 1000, 32), computed by Python's hashlib. */
    private static String referenceDigest() {
        return "YIWkt6M1JFXrHg5s0jZjBSc7C2Cz6QvchSJ0h8Y+i7c=";
    }
}
