package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SimTokenizerTests {

    private final SimTokenizer tokenizer = SimTokenizer.instance();

    @Test
    void countsAboutFourCharactersPerTokenOfEnglish() {
        String text = String.join(" ", Vocabulary.SENTENCES) + " Internationalisation of infrastructure, "
                + "notwithstanding extraordinary circumstances, remains a considerable undertaking.";

        double charsPerToken = text.length() / (double) tokenizer.count(text);

        assertThat(charsPerToken).isBetween(3.5, 5.5);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Hello, world!",
                "  leading spaces and trailing  ",
                "tabs\tand\nnew\n\nlines",
                "Numbers 1234567 and 3.14",
                "Ünïcödé — 漢字 and emoji 🙂",
                "<|im_start|>user\nHi<|im_end|>\n",
                "Pneumonoultramicroscopicsilicovolcanoconiosis"
            })
    void decodesWhatItEncodes(String text) {
        int[] ids = tokenizer.encode(text, false);

        assertThat(tokenizer.decode(ids)).isEqualTo(text);
        assertThat(ids).hasSize(tokenizer.count(text));
    }

    @Test
    void countsSpecialTokensAsOneAndAddsBosOnRequest() {
        assertThat(tokenizer.encode("<|im_start|>", false)).containsExactly(SimTokenizer.BOS_ID + 2);
        assertThat(tokenizer.encode("Hi", true)).hasSize(2).startsWith(SimTokenizer.BOS_ID);
    }

    @Test
    void splitsLongUnknownWordsIntoChunksOfFour() {
        assertThat(tokenizer.count("xyzzyxyzzy")).isEqualTo(3);
        assertThat(tokenizer.count(" the")).isEqualTo(1);
        assertThat(tokenizer.count(" information")).isEqualTo(1);
    }

    @Test
    void rendersChatMlWithOrWithoutAGenerationPrompt() {
        List<SimTokenizer.Message> messages =
                List.of(new SimTokenizer.Message("system", "Be brief."), new SimTokenizer.Message("user", "Hi"));

        assertThat(tokenizer.renderChat(messages, true, false))
                .isEqualTo(
                        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(tokenizer.renderChat(messages, false, false))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
        assertThat(tokenizer.renderChat(messages, false, true))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi");
    }

    @Test
    void refusesToDecodeIdsOutsideTheVocabulary() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {-5})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokenizer.decode(new int[] {500_000})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void generatedTextRetokenizesToTheSameCount() {
        TokenSource source = TokenSource.random(42, 200, false);
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        for (String piece = source.next(); piece != null; piece = source.next()) {
            text.append(piece);
            tokens++;
        }

        assertThat(tokens).isGreaterThan(50);
        assertThat(tokenizer.count(text)).isEqualTo(tokens);
        assertThat(tokenizer.decode(tokenizer.encode(text, false))).isEqualTo(text.toString());
    }
}
