package io.stampede.api.auth;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The user table: {@code demo@market.test} and {@code user<N>@market.test} for N in 1..accounts,
 * each stored with a PBKDF2 hash of its password, never the password itself.
 *
 * <p>Hashing a thousand passwords takes seconds of CPU, so a seed account's row is written the
 * first time its email is looked up (like a lazily seeded table) and kept from then on; startup
 * stays instant and each account is hashed once per process.
 */
public final class Accounts {
    public static final String DEMO_EMAIL = "demo@market.test";
    private static final Pattern SEED_USER = Pattern.compile("user([1-9][0-9]{0,8})@market\\.test");

    /** A stored user: its id and password hash. */
    public record Account(long id, String email, String passwordHash) {}

    private final PasswordHasher hasher;
    private final int seedAccounts;
    private final Map<String, Account> rows = new ConcurrentHashMap<>();
    private final String decoyHash;

    public Accounts(PasswordHasher hasher, int seedAccounts) {
        this.hasher = hasher;
        this.seedAccounts = seedAccounts;
        // Verified against for unknown emails, so a wrong email costs the same CPU as a wrong password.
        this.decoyHash = hasher.hash("decoy-" + System.nanoTime());
    }

    public Optional<Account> find(String email) {
        String key = email.toLowerCase(Locale.ROOT);
        Account existing = rows.get(key);
        if (existing != null) {
            return Optional.of(existing);
        }
        return Optional.ofNullable(rows.computeIfAbsent(key, this::seedRow));
    }

    /** Checks credentials with the full hashing cost whether or not the email exists. */
    public Optional<Account> authenticate(String email, String password) {
        Optional<Account> account = find(email);
        boolean ok = hasher.verify(password, account.map(Account::passwordHash).orElse(decoyHash));
        return ok ? account : Optional.empty();
    }

    public int seedAccounts() {
        return seedAccounts;
    }

    private Account seedRow(String email) {
        if (email.equals(DEMO_EMAIL)) {
            return new Account(0, DEMO_EMAIL, hasher.hash("demo-password"));
        }
        Matcher m = SEED_USER.matcher(email);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            if (n <= seedAccounts) {
                return new Account(n, email, hasher.hash("password" + n));
            }
        }
        return null;
    }
}
