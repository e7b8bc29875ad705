// How `facet mmvp` grades a free-form answer against a multiple-choice question, without a judge
// model (the MMVP paper used GPT-4; docs/models.md states this rule):
//   1. The options field ("(a) Open (b) Closed") gives the letters and their texts.
//   2. The answer, lowercased, names a letter when it contains "(x)" for an option letter x (the
//      first such marker wins), or when it starts with x alone or x followed by '.', ')', ':' or
//      ',' (so "b", "B.", "b) Closed" count; "because" does not).
//   3. Otherwise the option whose text appears in the answer as whole words (letters and digits
//      compared, other characters as word breaks) is chosen. An option found only inside a longer
//      found option does not count ("open" inside "not open"); when two or more remain, none.
//   4. No choice is a wrong answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace facet::eval {

struct McOption {
  char letter = 0;  // lowercase
  std::string text;
};

// Throws InputError (naming `where`) when the field has no "(x)" markers or repeats a letter.
std::vector<McOption> parse_options(const std::string& field, const std::string& where);

// The chosen letter (lowercase), or none.
std::optional<char> grade_answer(const std::string& answer, const std::vector<McOption>& options);

}  // namespace facet::eval
