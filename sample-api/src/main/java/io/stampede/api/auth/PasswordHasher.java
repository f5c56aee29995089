package io.stampede.api.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Random;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * PBKDF2-SHA256 password hashes in Django's stored form
 * ({@code pbkdf2_sha256$<iterations>$<salt>$<base64 hash>}), so a login costs real CPU as in the
 * seed's Django app. The iteration count sets that cost (about 0.3 µs each on this machine).
 */
public final class PasswordHasher {
    private static final String ALGORITHM = "pbkdf2_sha256";
    private static final String SALT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private final int iterations;
    private final Random random;

    public PasswordHasher(int iterations, Random random) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1");
        }
        this.iterations = iterations;
        this.random = random;
    }

    public String hash(String password) {
        StringBuilder salt = new StringBuilder(22);
        synchronized (random) {
            for (int i = 0; i < 22; i++) {
                salt.append(SALT_CHARS.charAt(random.nextInt(SALT_CHARS.length())));
            }
        }
        return encode(password, salt.toString(), iterations);
    }

    /** Constant-time check of {@code password} against a stored hash. */
    public boolean verify(String password, String stored) {
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !ALGORITHM.equals(parts[0])) {
            return false;
        }
        String candidate = encode(password, parts[2], Integer.parseInt(parts[1]));
        return MessageDigest.isEqual(candidate.getBytes(), stored.getBytes());
    }

    private static String encode(String password, String salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt.getBytes(), iterations, 256);
            byte[] derived = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            spec.clearPassword();
            return ALGORITHM + "$" + iterations + "$" + salt + "$" + Base64.getEncoder().encodeToString(derived);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        }
    }
}
