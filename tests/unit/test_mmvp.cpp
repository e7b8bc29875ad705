// facet mmvp's host side: the grading rule (mmvp_grading.hpp), the MMVP folder reader and pair
// scoring, on answers written here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eval/mmvp.hpp"
#include "util/error.hpp"

namespace facet::eval {
namespace {

namespace fs = std::filesystem;

std::optional<char> grade(const std::string& answer, const std::string& options = "(a) Open (b) Closed") {
  return grade_answer(answer, parse_options(options, "test"));
}

TEST(MmvpGrading, ParsesOptions) {
  auto o = parse_options("(a) Open (b)  Closed ", "q");
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].letter, 'a');
  EXPECT_EQ(o[0].text, "Open");
  EXPECT_EQ(o[1].text, "Closed");
  EXPECT_EQ(parse_options("(A) yes (B) no (C) maybe", "q")[2].letter, 'c');
  EXPECT_THROW(parse_options("Open or Closed", "q"), InputError);
  EXPECT_THROW(parse_options("(a) x (a) y", "q"), InputError);
}

TEST(MmvpGrading, LetterMarkersWin) {
  EXPECT_EQ(grade("(a)"), 'a');
  EXPECT_EQ(grade("The answer is (B) Closed."), 'b');
  EXPECT_EQ(grade("(b) although it looks open"), 'b');  // the first marker, not the words
  EXPECT_EQ(grade("b"), 'b');
  EXPECT_EQ(grade(" A."), 'a');
  EXPECT_EQ(grade("b) Closed"), 'b');
  EXPECT_EQ(grade("a: open"), 'a');
  EXPECT_EQ(grade("(c) neither"), std::nullopt);  // not an option letter, and no option text
}

TEST(MmvpGrading, OptionTextAsWholeWords) {
  EXPECT_EQ(grade("The wings are open."), 'a');
  EXPECT_EQ(grade("CLOSED"), 'b');
  EXPECT_EQ(grade("because they are closed"), 'b');        // "b" of "because" is not a letter answer
  EXPECT_EQ(grade("The wings are reopened"), std::nullopt);  // whole words only
  EXPECT_EQ(grade("open, not closed"), std::nullopt);         // both options: no choice
  EXPECT_EQ(grade("I cannot tell."), std::nullopt);
  EXPECT_EQ(grade("It is not open.", "(a) Open (b) Not open"), 'b');  // "open" inside "not open"
  EXPECT_EQ(grade("It is open.", "(a) Open (b) Not open"), 'a');
  EXPECT_EQ(grade("The dog faces left-ward", "(a) Left (b) Right"), 'a');
  EXPECT_EQ(grade("There are 3 birds", "(a) 2 (b) 3"), 'b');
}

class MmvpFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("facet_mmvp_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "MMVP Images");
    for (int i = 1; i <= 4; ++i) std::ofstream(dir_ / "MMVP Images" / (std::to_string(i) + (i == 3 ? ".png" : ".jpg"))) << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }
  void questions(const std::string& text) { std::ofstream(dir_ / "Questions.csv") << text; }
  fs::path dir_;
};

TEST_F(MmvpFolder, ReadsThePublishedLayoutAndScoresPairs) {
  questions(
      "Index,Question,Options,Correct Answer\n"
      "1,Open or closed?,(a) Open (b) Closed,(a)\n"
      "2,Open or closed?,(a) Open (b) Closed,(b)\n"
      "3,\"Left, or right?\",(a) Left (b) Right,(b)\n"
      "4,\"Left, or right?\",(a) Left (b) Right,(a)\n");
  auto q = read_mmvp(dir_.string(), "");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[2].question, "Left, or right?");
  EXPECT_EQ(mmvp_message(q[2]), "Left, or right? (a) Left (b) Right");
  EXPECT_EQ(q[1].correct, 'b');
  EXPECT_EQ(fs::path(q[2].image).filename(), "3.png");
  EXPECT_EQ(q[0].pattern, "all");
  std::vector<MmvpAnswer> a(4);
  a[0].text = "(a)";
  a[1].text = "Closed.";
  a[2].text = "Right";
  a[3].text = "right";  // wrong: the pair fails although one answer is right
  MmvpScore s = score_mmvp(q, a);
  EXPECT_TRUE(a[0].correct && a[1].correct && a[2].correct);
  EXPECT_FALSE(a[3].correct);
  EXPECT_EQ(s.total.pairs, 2);
  EXPECT_EQ(s.total.pairs_correct, 1);
  EXPECT_DOUBLE_EQ(s.total.pair_accuracy(), 50.0);
  EXPECT_DOUBLE_EQ(s.total.question_accuracy(), 75.0);
  EXPECT_NE(mmvp_jsonl_line("m", q[3], a[3]).find("\"choice\":\"b\",\"correct\":false,\"correct_answer\":\"a\""), std::string::npos);
  EXPECT_NE(mmvp_jsonl_line("m", q[3], a[3]).find("\"model\":\"m\""), std::string::npos);
  EXPECT_NE(mmvp_table({{"m", s}}).find("total"), std::string::npos);
  // Two models: one pair-accuracy column each.
  MmvpScore better = s;
  better.total.pairs_correct = 2;
  const std::string table = mmvp_table({{"llava", s}, {"mof", better}});
  EXPECT_NE(table.find("llava"), std::string::npos) << table;
  EXPECT_NE(table.find("total        2    50.0%   100.0%"), std::string::npos) << table;

  // Patterns from a file, per pair in order of first appearance.
  std::ofstream(dir_ / "p.csv") << "Index,Pattern\n1,State\n2,State\n3,Orientation\n4,Orientation\n";
  q = read_mmvp(dir_.string(), (dir_ / "p.csv").string());
  s = score_mmvp(q, a);
  ASSERT_EQ(s.patterns.size(), 2u);
  EXPECT_EQ(s.patterns[0].pattern, "State");
  EXPECT_EQ(s.patterns[0].pairs_correct, 1);
  EXPECT_EQ(s.patterns[1].pairs_correct, 0);
  std::ofstream(dir_ / "p.csv") << "Index,Pattern\n1,State\n";
  EXPECT_THROW(read_mmvp(dir_.string(), (dir_ / "p.csv").string()), InputError);
}

TEST_F(MmvpFolder, MalformedFoldersAreRefusedWithTheLine) {
  auto refused = [&](const std::string& csv, const std::string& what) {
    questions(csv);
    try {
      read_mmvp(dir_.string(), "");
      ADD_FAILURE() << "accepted: " << csv;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  const std::string h = "Index,Question,Options,Correct Answer\n";
  refused(h + "1,Q,(a) x (b) y,(a)\n", "pairs need an even number");
  refused(h + "1,Q,(a) x (b) y,(c)\n2,Q,(a) x (b) y,(a)\n", "Questions.csv:2: Correct Answer '(c)'");
  refused(h + "1,Q,x or y,(a)\n2,Q,(a) x (b) y,(a)\n", "Questions.csv:2: options 'x or y' have no");
  refused(h + "1,Q,(a) x (b) y,(a)\n9,Q,(a) x (b) y,(a)\n", "Questions.csv:3: image");
  refused(h + "one,Q,(a) x (b) y,(a)\n2,Q,(a) x (b) y,(a)\n", "Index 'one'");
  refused("Index,Question,Options\n1,Q,(a) x\n", "Correct Answer");
  fs::remove_all(dir_ / "MMVP Images");
  refused(h + "1,Q,(a) x (b) y,(a)\n2,Q,(a) x (b) y,(a)\n", "no folder 'MMVP Images'");
}

}  // namespace
}  // namespace facet::eval
