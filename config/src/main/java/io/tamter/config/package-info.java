/**
 * Typed settings: {@link io.tamter.config.Params} is the one table of every setting (type, default,
 * unit, bounds, doc); {@link io.tamter.config.Settings} holds values from defaults, a file, the
 * environment and system properties, validated on the way in.
 */
package io.tamter.config;
