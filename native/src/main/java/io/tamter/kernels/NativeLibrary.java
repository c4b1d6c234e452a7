package io.tamter.kernels;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.Buffer;

/**
 * The one loader of {@code libtamterkernels.so} (built from native/src/main/c by the Maven build
 * and shipped in this module's jar under {@code linux-x86-64/}, where JNA finds it on the
 * classpath). JNA direct mapping: each call is a plain native call with primitive arguments;
 * memory is passed as 64-bit addresses of direct buffers, never as Java arrays (JNA would copy
 * an array on every call).
 */
final class NativeLibrary {
    private NativeLibrary() {}

    static {
        Native.register(NativeLibrary.class, "tamterkernels");
    }

    static native String tk_variant();

    static native int tk_supports(int variant);

    static native int tk_force_variant(int variant);

    static native float tk_dot(long a, long b, int n);

    static native float tk_l2sq(long a, long b, int n);

    static native void tk_distances(int metric, long query, long matrix, int count, int dim, long out);

    /**
     * See tamter_kernels.h: entries are {@code [i64 vid][u16 version][f32 x dim]} (posting format 2);
     * {@code versions} points at the version map (one little-endian u16 per vid) and
     * {@code versionsLimit} counts vids, not bytes.
     */
    static native int tk_scan_posting(long posting, long offset, int count, int dim, long query, int metric,
                                      long versions, long versionsLimit, long filter, long filterLimitBits,
                                      float threshold, int k, long outVids, long outDists);

    /** The address of a direct buffer's first byte (position is ignored). */
    static long address(Buffer direct) {
        if (!direct.isDirect()) throw new IllegalArgumentException("native kernels need direct buffers");
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
