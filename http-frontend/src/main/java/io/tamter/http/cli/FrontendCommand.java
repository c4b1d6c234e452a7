package io.tamter.http.cli;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.http.api.TamterFrontend;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.ObjectStores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter frontend [--port N] [--host H] [--join HOST:PORT,...] [--object-store URI]}: the
 * REST API on an Ignite client node ({@link TamterFrontend}) that joins a grid of {@code tamter
 * serve} / {@code tamter node} servers and sends every operation to them. It has no {@code --data}:
 * it keeps nothing.
 */
public final class FrontendCommand {
    private FrontendCommand() {}

    @Command(name = "frontend", synopsisHeading = "usage: ", separator = " ", sortOptions = false,
            description = {"A REST frontend on an Ignite client node: joins a grid of serve/node servers and serves the whole REST API "
                    + "by sending every operation to them (a server coordinates it: validates, embeds text once, routes writes to the "
                    + "shards' owners, scatters searches). It holds no shard, opens no index and loads no embedding model. "
                    + "/ready is true once it has joined and a server node is present. Ctrl-C (SIGTERM) drains requests and leaves."},
            descriptionHeading = "%n", optionListHeading = "%noptions:%n",
            footerHeading = "%n", footer = {"Without --join or --object-store it joins the grid on this machine's default discovery "
                    + "port (127.0.0.1:47500, a plain ./tamter serve). README: Grid."})
    static final class Frontend implements Callable<Integer> {
        @Mixin
        TamterMain.HelpOption help;

        @Option(names = "--port", paramLabel = "N", description = "REST port (default 8080; 0 = any free port)")
        String port;

        @Option(names = "--host", paramLabel = "H", description = "REST address (default 127.0.0.1; another one needs http.api_keys)")
        String host;

        @Option(names = "--join", paramLabel = "HOST:PORT,...", description = "discovery addresses of the grid's server nodes")
        String join;

        @Option(names = "--object-store", paramLabel = "URI", description = "the grid's object store, to find its nodes through it "
                + "(object-store discovery: the servers were started with it and no --join); nothing is read from it otherwise")
        String objectStore;

        @Option(names = "--config", paramLabel = "FILE", description = "settings file (key = value; docs/CONFIG.md)")
        Path config;

        @Option(names = "--set", paramLabel = "key=value", description = "one setting (docs/CONFIG.md); repeatable; the options above win over it")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return run(this);
        }
    }

    static int run(Frontend o) throws Exception {
        Map<String, String> cli = new LinkedHashMap<>();
        for (String kv : o.sets) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--set takes key=value; got " + kv);
            cli.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        if (o.port != null) cli.put(Params.HTTP_PORT.key(), o.port);
        if (o.host != null) cli.put(Params.HTTP_HOST.key(), o.host);
        if (o.join != null) cli.put(Params.GRID_DISCOVERY_ADDRESSES.key(), ServeCommand.joinList(o.join));
        Settings settings = Settings.load(o.config, System.getenv(), System.getProperties()).withTexts(cli);
        boolean storeDiscovery = GridNode.usesObjectStoreDiscovery(settings, o.objectStore != null);
        if (storeDiscovery && o.objectStore == null)
            throw new IllegalArgumentException("grid.discovery=object_store needs --object-store URI (the grid's store) for a frontend");
        String id = TamterFrontend.newId();
        long t0 = System.nanoTime();
        System.setProperty("IGNITE_NO_SHUTDOWN_HOOK", "true"); // the order of the stop is ours (ServeCommand.run says why)
        TamterFrontend frontend;
        try {
            ObjectStore store = storeDiscovery ? ObjectStores.open(ServeCommand.objectStoreUri(o.objectStore)) : null;
            frontend = TamterFrontend.start(id, settings, store);
        } catch (RuntimeException e) {
            String why = ServeCommand.startFailure(e, settings);
            if (why == null) throw e;
            if (storeDiscovery && why.startsWith("could not join")) // no addresses to name: the store's registrations were tried
                why = "could not join a grid registered in " + o.objectStore + " within grid.join_timeout_ms="
                        + settings.getLong(Params.GRID_JOIN_TIMEOUT_MS) + " (are its servers running, started with grid.discovery=object_store "
                        + "or --object-store and no --join?)";
            System.err.println("tamter frontend: " + why);
            return 1;
        }
        CountDownLatch stopped = ServeCommand.closeOnShutdown(frontend);
        var ignite = frontend.ignite();
        System.out.printf("tamter: grid: frontend %s joined as a client node (%s), %d server node(s); no shards, no data%n", id,
                frontend.discovery(),
                ignite.cluster().forServers().nodes().size());
        System.out.printf("tamter: listening on http://%s:%d (frontend %s, started in %d ms)%n", settings.get(Params.HTTP_HOST), frontend.port(),
                id, (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
