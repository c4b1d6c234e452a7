package io.tamter.http.api;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per caller (API key, or client address without keys), with Bucket4j: a burst of
 * {@code burst} requests, refilled at {@code perSecond} (greedily, spread over the second). A
 * request that finds the bucket empty is refused with the seconds until a token is back.
 */
public final class RateLimiter {
    private final double perSecond;
    private final int burst;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    public boolean enabled() {
        return perSecond > 0;
    }

    /** 0 when the request may go ahead, else the whole seconds to wait (at least 1). */
    public long tryAcquire(String caller) {
        if (!enabled()) return 0;
        Bucket b = buckets.computeIfAbsent(caller, k -> newBucket());
        ConsumptionProbe p = b.tryConsumeAndReturnRemaining(1);
        if (p.isConsumed()) return 0;
        return Math.max(1, (p.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }

    private Bucket newBucket() {
        // a fractional rate is expressed as tokens per minute (Bucket4j refills whole tokens)
        long perMinute = Math.max(1, Math.round(perSecond * 60));
        return Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
                .build();
    }
}
