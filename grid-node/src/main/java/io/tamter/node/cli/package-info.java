/** Command-line tools that work on a node's local data: {@code tamter check --index DIR}. */
package io.tamter.node.cli;
