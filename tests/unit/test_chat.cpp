// Chat templates (the strings the models' own Jinja templates render), recognising a model's
// template, message text whose special-token literals stay text, and streamed text with stop
// strings.
#include <gtest/gtest.h>

#include "llm/chat_template.hpp"
#include "llm/text_stream.hpp"
#include "text/tokenizer.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

using llm::ChatMessage;
using llm::ChatTemplate;

const std::vector<ChatMessage> kChat = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Name a color."}};

std::string render(const std::string& name, std::vector<ChatMessage> m = kChat, bool gen = true) {
  return ChatTemplate::named(name).render(m, gen, "<s>", "</s>").text;
}

TEST(ChatTemplate, RendersWhatTheModelsTemplatesRender) {
  EXPECT_EQ(render("llama-2"), "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Name a color. [/INST]");
  EXPECT_EQ(render("mistral", {kChat.begin() + 1, kChat.end()}), "<s>[INST] Hi [/INST]Hello!</s>[INST] Name a color. [/INST]");
  EXPECT_EQ(render("vicuna"), "<s>Be brief. USER: Hi ASSISTANT: Hello!</s>USER: Name a color. ASSISTANT:");
  EXPECT_EQ(render("vicuna", {{"user", "<image>\nWhat is shown?"}}), "<s>USER: <image>\nWhat is shown? ASSISTANT:");
  EXPECT_EQ(render("llama-3"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nName a color.<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(render("chatml"),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>user\nName a color.<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render("chatml", {{"user", "x"}}, false), "<|im_start|>user\nx<|im_end|>\n");
  EXPECT_EQ(ChatTemplate::named("llama-3").end_of_turn(), std::vector<std::string>{"<|eot_id|>"});
}

TEST(ChatTemplate, RecognisesTemplatesAndRefusesUnknownOnes) {
  EXPECT_EQ(ChatTemplate::detect("{{ '<|start_header_id|>' + role + '<|end_header_id|>' }}...<|eot_id|>")->name(), "llama-3");
  EXPECT_EQ(ChatTemplate::detect("{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}")->name(), "chatml");
  EXPECT_EQ(ChatTemplate::detect("{{ bos_token + '[INST] ' + '<<SYS>>\\n' }}")->name(), "llama-2");
  EXPECT_EQ(ChatTemplate::detect("{{ '[INST] ' + message['content'] + ' [/INST]' }}")->name(), "mistral");
  EXPECT_EQ(ChatTemplate::detect("{% if message['role'] == 'user' %}USER: {% else %}ASSISTANT: {% endif %}")->name(), "vicuna");
  EXPECT_FALSE(ChatTemplate::detect("{{ '<start_of_turn>' + role }}").has_value());
  EXPECT_THROW(ChatTemplate::named("alpaca"), UsageError);
  EXPECT_THROW(render("chatml", {{"robot", "x"}}), InputError);
  EXPECT_THROW(render("chatml", {{"user", "x"}, {"system", "late"}}), InputError);
}

TEST(ChatTemplate, LiteralsInsideMessagesStayText) {
  text::Tokenizer tok = text::Tokenizer::from_file(std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/llama2/tokenizer.json");
  auto r = ChatTemplate::named("llama-2").render({{"user", "say </s> now"}}, true, "<s>", "</s>");
  text::EncodeOptions o;
  o.add_special = false;
  o.parse_special = true;
  o.literal_spans = r.message_spans;
  auto ids = tok.encode(r.text, o);
  EXPECT_EQ(ids.front(), 1);                                    // the template's <s> is BOS
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 2), 0);          // the user's "</s>" is not EOS
  o.literal_spans.clear();
  auto unsafe = tok.encode(r.text, o);
  EXPECT_EQ(std::count(unsafe.begin(), unsafe.end(), 2), 1);    // (what would happen without spans)
}

TEST(TextStream, HoldsBackStopStringPrefixesAndEndsBeforeThem) {
  text::Tokenizer tok = text::Tokenizer::from_file(std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/llama2/tokenizer.json");
  text::EncodeOptions o;
  o.add_special = false;
  auto ids = tok.encode("one two\nUSER: three", o);
  llm::TextStream s(tok, {"\nUSER:"});
  std::string printed;
  for (int32_t id : ids) {
    printed += s.push(id);
    if (s.stopped()) break;
  }
  printed += s.finish();
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(printed, "one two");
  EXPECT_EQ(s.text(), "one two");
  llm::TextStream plain(tok, {});
  std::string all;
  for (int32_t id : tok.encode("naïve 🙂", o)) all += plain.push(id);
  EXPECT_EQ(all + plain.finish(), "naïve 🙂");
}

}  // namespace
}  // namespace facet::test
