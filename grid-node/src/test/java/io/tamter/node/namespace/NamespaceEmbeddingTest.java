package io.tamter.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.config.Settings;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text rows embedded with the real default model (one namespace, a few texts: the model is slow to load). */
class NamespaceEmbeddingTest {
    static final ObjectMapper M = new ObjectMapper();

    static JsonNode json(String s) throws Exception {
        return M.readTree(s.replace('\'', '"'));
    }

    @TempDir
    Path tmp;

    @Test
    void textRowsAreEmbeddedAndTextQueriesSearchSemantically() throws Exception {
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(tmp.resolve("store"));
                NamespaceManager engine = new NamespaceManager(tmp.resolve("data"), store, Settings.defaults(), null)) {
            Namespace ns = engine.getOrCreate("emb");
            ns.upsert(json("[{'id':1,'text':'a wireless charger for your phone'},{'id':2,'text':'a recipe for banana bread'},"
                    + "{'id':3,'text':'the history of the roman empire'}]"), null);
            assertThat(ns.settings().dimensions()).isEqualTo(384);
            SearchResult r = ns.search(SearchRequest.ofText("charging a smartphone without cables", null, 1));
            assertThat(r.matches().get(0).id().asInt()).isEqualTo(1);
            SearchResult h = ns.search(SearchRequest.ofText("baking bread", SearchRequest.Mode.HYBRID, 3));
            assertThat(h.matches().get(0).id().asInt()).isEqualTo(2);
            // a client vector of another dimension is a 400
            assertThatThrownBy(() -> ns.upsert(json("[{'id':4,'vector':[1,0]}]"), null)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("384");
            // a namespace whose first vector came from the client rejects text-only rows
            Namespace other = engine.getOrCreate("client-vectors");
            other.upsert(json("[{'id':1,'vector':[1,0,0]}]"), null);
            assertThatThrownBy(() -> other.upsert(json("[{'id':2,'text':'no vector'}]"), null)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageStartingWith("upsert_rows[0].text");
        }
    }
}
