package io.vgate.sim;

import java.util.List;

/**
 * Word lists behind {@link SimTokenizer}'s vocabulary and the sentences the simulated model writes.
 */
final class Vocabulary {

    /** Sentences the random mode strings together; every word is in {@link #WORDS}. */
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "I can help you with that question.",
            "Here is a short answer to your request.",
            "Let me explain how this works in a few steps.",
            "First, we need to understand the problem.",
            "Then we can look at the possible solutions.",
            "Each option has its own advantages and trade-offs.",
            "The most common approach is also the simplest one.",
            "It depends on the size of the data and the time you have.",
            "In practice, a small test will show which one is faster.",
            "Today it is partly cloudy with a light wind from the west.",
            "The weather should be warmer later in the week.",
            "Many people enjoy reading a good book on a quiet evening.",
            "Learning a new language takes time, practice and patience.",
            "A good plan starts with a clear goal.",
            "Write down what you want to achieve and why it matters.",
            "Small changes made every day can add up to big results.",
            "The system reads the input, processes it and returns a result.",
            "If something goes wrong, check the logs for more details.",
            "You can always ask me for more information.",
            "This is only an example, so please adapt it to your needs.",
            "Water boils at one hundred degrees at sea level.",
            "The sun rises in the east and sets in the west.",
            "Music, art and science all help us understand the world.",
            "Thank you for your patience while I think about this.",
            "In summary, the answer is yes, with a few conditions.",
            "There are three main points to keep in mind.",
            "The model generates text one token at a time.",
            "Good questions often lead to better answers.",
            "Let me know if you would like a longer explanation.");

    /** Common English words; each is one token (alone, after a space, and capitalised). */
    static final List<String> WORDS = List.of(
            "the", "be", "to", "of", "and", "a", "in", "that", "have", "it", "for", "not", "on", "with", "he", "as",
            "you", "do", "at", "this", "but", "his", "by", "from", "they", "we", "say", "her", "she", "or", "an",
            "will", "my", "one", "all", "would", "there", "their", "what", "so", "up", "out", "if", "about", "who",
            "get", "which", "go", "me", "when", "make", "can", "like", "time", "no", "just", "him", "know", "take",
            "people", "into", "year", "your", "good", "some", "could", "them", "see", "other", "than", "then", "now",
            "look", "only", "come", "its", "over", "think", "also", "back", "after", "use", "two", "how", "our",
            "work", "first", "well", "way", "even", "new", "want", "because", "any", "these", "give", "day", "most",
            "us", "is", "are", "was", "were", "been", "has", "had", "did", "does", "done", "said", "made", "went",
            "here", "where", "why", "very", "more", "many", "much", "such", "each", "every", "few", "own", "same",
            "help", "question", "answer", "request", "explain", "works", "steps", "step", "need", "understand",
            "problem", "possible", "solutions", "solution", "option", "options", "advantages", "trade", "offs",
            "common", "approach", "simplest", "simple", "depends", "size", "data", "practice", "small", "test",
            "show", "faster", "fast", "today", "partly", "cloudy", "light", "wind", "west", "east", "weather",
            "should", "warmer", "later", "week", "enjoy", "reading", "read", "book", "quiet", "evening", "learning",
            "language", "takes", "patience", "plan", "starts", "start", "clear", "goal", "write", "down", "achieve",
            "matters", "matter", "changes", "change", "made", "add", "big", "results", "result", "system", "reads",
            "input", "processes", "process", "returns", "return", "something", "goes", "wrong", "right", "check",
            "logs", "log", "details", "always", "ask", "information", "only", "example", "please", "adapt", "needs",
            "water", "boils", "hundred", "degrees", "sea", "level", "sun", "rises", "sets", "music", "art",
            "science", "world", "thank", "thanks", "while", "summary", "yes", "conditions", "three", "main",
            "points", "point", "keep", "mind", "model", "generates", "text", "token", "tokens", "questions", "often",
            "lead", "better", "answers", "let", "would", "longer", "explanation", "quick", "brown", "fox", "jumps",
            "lazy", "dog", "short", "few", "hello", "world", "please", "sure", "great", "thing", "things", "number",
            "part", "place", "case", "week", "company", "group", "life", "hand", "high", "long", "last", "great",
            "little", "old", "different", "large", "next", "early", "young", "important", "public", "same", "able",
            "user", "users", "assistant", "message", "messages", "chat", "content", "prompt", "response", "server",
            "request", "model", "models", "api", "code", "file", "files", "list", "value", "values", "name", "type",
            "error", "errors", "line", "lines", "word", "words", "string", "number", "function", "class", "method",
            "call", "calls", "call", "run", "running", "test", "tests", "build", "write", "written", "reply",
            "tell", "story", "about", "again", "before", "between", "under", "never", "still", "those", "through",
            "during", "without", "again", "around", "however", "another", "while", "against", "city", "country",
            "home", "house", "school", "family", "friend", "friends", "food", "money", "power", "order", "state",
            "today", "tomorrow", "yesterday", "morning", "night", "open", "close", "find", "found", "true", "false");

    private Vocabulary() {
    }
}
