package io.tamter.node.text;

import io.tamter.node.schema.FullTextOptions;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.tartarus.snowball.SnowballStemmer;
import org.tartarus.snowball.ext.ArabicStemmer;
import org.tartarus.snowball.ext.DanishStemmer;
import org.tartarus.snowball.ext.DutchStemmer;
import org.tartarus.snowball.ext.FinnishStemmer;
import org.tartarus.snowball.ext.FrenchStemmer;
import org.tartarus.snowball.ext.GermanStemmer;
import org.tartarus.snowball.ext.HungarianStemmer;
import org.tartarus.snowball.ext.ItalianStemmer;
import org.tartarus.snowball.ext.NorwegianStemmer;
import org.tartarus.snowball.ext.PortugueseStemmer;
import org.tartarus.snowball.ext.RomanianStemmer;
import org.tartarus.snowball.ext.RussianStemmer;
import org.tartarus.snowball.ext.SpanishStemmer;
import org.tartarus.snowball.ext.SwedishStemmer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Analyzers for the full-text options of the schema. One chain for every language, so that each
 * option switches exactly one stage:
 * <pre>
 * StandardTokenizer (Unicode word boundaries)
 *   → EnglishPossessiveFilter            (english only: "charger's" → "charger")
 *   → LowerCaseFilter                    (unless case_sensitive)
 *   → StopFilter(language's stop words)  (if remove_stopwords; matched ignoring case)
 *   → stemmer                            (if stemming: Porter for english, as Lucene's EnglishAnalyzer;
 *                                         the Snowball stemmer of the language otherwise)
 * </pre>
 * Stemmers expect lower-case input: with {@code case_sensitive} and {@code stemming} both on, a
 * capitalized word is stemmed less reliably than its lower-case form.
 *
 * <p>Analyzers are immutable and thread-safe; one instance per distinct option set is shared.
 */
public final class Analyzers {
    private Analyzers() {}

    private record Language(Supplier<CharArraySet> stopwords, Supplier<SnowballStemmer> stemmer) {}

    private static final Map<String, Language> LANGUAGES = Map.ofEntries(
            Map.entry("english", new Language(() -> EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, null)),
            Map.entry("arabic", new Language(ArabicAnalyzer::getDefaultStopSet, ArabicStemmer::new)),
            Map.entry("danish", new Language(DanishAnalyzer::getDefaultStopSet, DanishStemmer::new)),
            Map.entry("dutch", new Language(DutchAnalyzer::getDefaultStopSet, DutchStemmer::new)),
            Map.entry("finnish", new Language(FinnishAnalyzer::getDefaultStopSet, FinnishStemmer::new)),
            Map.entry("french", new Language(FrenchAnalyzer::getDefaultStopSet, FrenchStemmer::new)),
            Map.entry("german", new Language(GermanAnalyzer::getDefaultStopSet, GermanStemmer::new)),
            Map.entry("hungarian", new Language(HungarianAnalyzer::getDefaultStopSet, HungarianStemmer::new)),
            Map.entry("italian", new Language(ItalianAnalyzer::getDefaultStopSet, ItalianStemmer::new)),
            Map.entry("norwegian", new Language(NorwegianAnalyzer::getDefaultStopSet, NorwegianStemmer::new)),
            Map.entry("portuguese", new Language(PortugueseAnalyzer::getDefaultStopSet, PortugueseStemmer::new)),
            Map.entry("romanian", new Language(RomanianAnalyzer::getDefaultStopSet, RomanianStemmer::new)),
            Map.entry("russian", new Language(RussianAnalyzer::getDefaultStopSet, RussianStemmer::new)),
            Map.entry("spanish", new Language(SpanishAnalyzer::getDefaultStopSet, SpanishStemmer::new)),
            Map.entry("swedish", new Language(SwedishAnalyzer::getDefaultStopSet, SwedishStemmer::new)));

    private static final Map<FullTextOptions.AnalysisKey, Analyzer> CACHE = new ConcurrentHashMap<>();

    /** The shared analyzer for these options. */
    public static Analyzer forOptions(FullTextOptions options) {
        return CACHE.computeIfAbsent(options.analysisKey(), Analyzers::build);
    }

    /** True when {@code language} has an analyzer (every entry of {@link FullTextOptions#LANGUAGES} must). */
    public static boolean supports(String language) {
        return LANGUAGES.containsKey(language);
    }

    private static Analyzer build(FullTextOptions.AnalysisKey key) {
        Language lang = LANGUAGES.get(key.language());
        if (lang == null) throw new IllegalArgumentException("no analyzer for language " + key.language());
        CharArraySet stop = key.removeStopwords() ? new CharArraySet(lang.stopwords().get(), true) : null;
        boolean english = key.language().equals("english");
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String fieldName) {
                StandardTokenizer source = new StandardTokenizer();
                TokenStream ts = source;
                if (english) ts = new EnglishPossessiveFilter(ts);
                if (!key.caseSensitive()) ts = new LowerCaseFilter(ts);
                if (stop != null) ts = new StopFilter(ts, stop);
                if (key.stemming()) ts = english ? new PorterStemFilter(ts) : new SnowballFilter(ts, lang.stemmer().get());
                return new TokenStreamComponents(source, ts);
            }

            @Override
            protected TokenStream normalize(String fieldName, TokenStream in) {
                return key.caseSensitive() ? in : new LowerCaseFilter(in);
            }
        };
    }
}
